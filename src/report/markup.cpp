#include "report/markup.h"

#include <fmt/format.h>

#include <cmath>

namespace retune::report {

std::string escape_markup(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

namespace {

// "1.2500" -> "1.25", "3.000" -> "3": the digits after the point without trailing zeros.
std::string without_trailing_zeros(std::string text) {
  if (text.find('.') == std::string::npos || text.find('e') != std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string format_value(double value, int significant) {
  if (std::isnan(value)) return "–";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  if (value == 0) return "0";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e-4 && magnitude < 1e9) {
    const int integer_digits = static_cast<int>(std::floor(std::log10(magnitude))) + 1;
    const int decimals = std::max(0, significant - integer_digits);
    return without_trailing_zeros(fmt::format("{:.{}f}", value, decimals));
  }
  return fmt::format("{:.{}g}", value, significant);
}

std::string format_coordinate(double value) {
  return without_trailing_zeros(fmt::format("{:.2f}", value));
}

std::string open_svg_canvas(std::string_view css_class, double width, double height) {
  const std::string w = format_coordinate(width);
  const std::string h = format_coordinate(height);
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" class="{}" width="{}" height="{}" )"
      R"(viewBox="0 0 {} {}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">)"
      "\n"
      R"(<rect width="{}" height="{}" fill="#ffffff"/>)"
      "\n",
      css_class, w, h, w, h, w, h);
}

double text_width(std::string_view text, double font_size) {
  size_t characters = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  }
  return 0.6 * font_size * static_cast<double>(characters);
}

}  // namespace retune::report
