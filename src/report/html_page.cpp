#include "report/html_page.h"

#include <fmt/format.h>

#include <cstdlib>

#include "report/markup.h"

namespace retune::report {

namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto;
       max-width: 1200px; padding: 0 16px; color: #222; background: #fafafa; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin-top: 20px; }
p.note { color: #666; font-size: 13px; margin: 6px 0; }
figure { margin: 12px 0; display: inline-block; vertical-align: top; }
figure svg { border: 1px solid #e4e4e4; border-radius: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
)";

bool reads_as_number(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

}  // namespace

std::string render_table(const HtmlTable& table) {
  std::string html = "<table>\n<tr>";
  for (const std::string& name : table.header) html += "<th>" + escape_markup(name) + "</th>";
  html += "</tr>\n";
  for (const auto& row : table.rows) {
    html += "<tr>";
    for (const std::string& cell : row) {
      html += fmt::format("<td{}>{}</td>", reads_as_number(cell) ? R"( class="number")" : "",
                          escape_markup(cell));
    }
    for (size_t i = row.size(); i < table.header.size(); ++i) html += "<td></td>";
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

void HtmlPage::add_heading(const std::string& text) {
  body_ += "<h2>" + escape_markup(text) + "</h2>\n";
}

void HtmlPage::add_subheading(const std::string& text) {
  body_ += "<h3>" + escape_markup(text) + "</h3>\n";
}

void HtmlPage::add_note(const std::string& text) {
  body_ += R"(<p class="note">)" + escape_markup(text) + "</p>\n";
}

void HtmlPage::add_table(const HtmlTable& table) {
  body_ += render_table(table);
}

void HtmlPage::add_figure(const std::string& svg) {
  body_ += "<figure>\n" + svg + "</figure>\n";
}

std::string HtmlPage::render() const {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{}</h1>\n{}</body>\n</html>\n",
      escape_markup(title_), kStyle, escape_markup(title_), body_);
}

}  // namespace retune::report
