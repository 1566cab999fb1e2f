#include "report/text_table.h"

#include <algorithm>

namespace retune::report {
namespace {

size_t characters(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string cell_of(const std::vector<std::string>& row, size_t column) {
  return column < row.size() ? row[column] : std::string();
}

}  // namespace

std::string markdown_table(const HtmlTable& table) {
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text = "|";
    for (size_t c = 0; c < table.header.size(); ++c) {
      std::string cell;
      for (const char ch : cell_of(row, c))
        cell += ch == '|' ? std::string("\\|") : std::string(1, ch);
      text += " " + cell + " |";
    }
    return text + "\n";
  };
  std::string text = line(table.header) + "|";
  for (size_t c = 0; c < table.header.size(); ++c) text += c == 0 ? "---|" : "---:|";
  text += "\n";
  for (const auto& row : table.rows) text += line(row);
  return text;
}

std::string aligned_table(const HtmlTable& table) {
  std::vector<size_t> widths(table.header.size(), 0);
  for (size_t c = 0; c < widths.size(); ++c) {
    widths[c] = characters(table.header[c]);
    for (const auto& row : table.rows) widths[c] = std::max(widths[c], characters(cell_of(row, c)));
  }
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = cell_of(row, c);
      const std::string padding(widths[c] - characters(cell), ' ');
      if (c > 0) text += "  ";
      text += c == 0 ? cell + padding : padding + cell;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  std::string text = line(table.header);
  for (const auto& row : table.rows) text += line(row);
  return text;
}

}  // namespace retune::report
