#include "report/heat_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "report/markup.h"
#include "report/palette.h"

namespace retune::report {

namespace {

constexpr double kFont = 12;
constexpr double kTitleFont = 15;
constexpr double kCellHeight = 34;
constexpr double kBarWidth = 14;
constexpr int kBarSteps = 24;

AxisRange finite_range(const HeatMap& map) {
  std::vector<double> values;
  for (const auto& row : map.values) values.insert(values.end(), row.begin(), row.end());
  if (map.value_range) return *map.value_range;
  return data_range(values, false);
}

double widest(const std::vector<std::string>& labels) {
  double width = 0;
  for (const std::string& label : labels) width = std::max(width, text_width(label, kFont));
  return width;
}

// The colour scale: a vertical bar from high (top) to low (bottom) with both ends labelled.
std::string render_scale_bar(double x, double top, double height, AxisRange range,
                             const std::string& label) {
  const auto c = format_coordinate;
  std::string svg = R"(<g class="scale">)";
  const double step = height / kBarSteps;
  for (int i = 0; i < kBarSteps; ++i) {
    const double fraction = 1.0 - (i + 0.5) / kBarSteps;
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)", c(x),
                       c(top + i * step), kBarWidth, c(step + 0.5), to_hex(scale_colour(fraction)));
  }
  svg += fmt::format(
      R"(<text x="{}" y="{}" font-size="11">{}</text><text x="{}" y="{}" font-size="11">{}</text>)",
      c(x + kBarWidth + 4), c(top + 10), escape_markup(format_value(range.high)),
      c(x + kBarWidth + 4), c(top + height), escape_markup(format_value(range.low)));
  if (!label.empty()) {
    const double label_x = x + kBarWidth + 4;
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="#555">{}</text>)", c(label_x),
                       c(top + height / 2 + 4), escape_markup(label));
  }
  return svg + "</g>\n";
}

}  // namespace

std::string render_heat_map(const HeatMap& map) {
  RETUNE_CHECK(map.values.size() == map.row_labels.size(),
               "heat map \"{}\": {} rows of values for {} row labels", map.title, map.values.size(),
               map.row_labels.size());
  for (size_t r = 0; r < map.values.size(); ++r) {
    RETUNE_CHECK(map.values[r].size() == map.column_labels.size(),
                 "heat map \"{}\": row {} has {} values for {} column labels", map.title, r,
                 map.values[r].size(), map.column_labels.size());
  }
  const auto c = format_coordinate;
  const AxisRange range = finite_range(map);
  const double cell_width = std::max(56.0, widest(map.column_labels) + 12);
  const double left = 12 + widest(map.row_labels) + 10;
  const double top = (map.title.empty() ? 10 : kTitleFont + 20) + kFont + 10;
  const double grid_width = cell_width * static_cast<double>(map.column_labels.size());
  const double grid_height = kCellHeight * static_cast<double>(map.row_labels.size());
  const double bar_x = left + grid_width + 18;
  const double bar_height = std::max(grid_height, 80.0);
  const double scale_text =
      std::max({text_width(format_value(range.high), 11), text_width(format_value(range.low), 11),
                text_width(map.value_label, 11)});
  const double width =
      std::max(bar_x + kBarWidth + 4 + scale_text + 12, text_width(map.title, kTitleFont) + 24);
  const double height = top + bar_height + 12;

  std::string svg = open_svg_canvas("chart heat-map", width, height);
  if (!map.title.empty()) {
    svg += fmt::format(
        R"(<text class="title" x="{}" y="{}" font-size="{}" font-weight="600">{}</text>)"
        "\n",
        c(12), c(kTitleFont + 6), kTitleFont, escape_markup(map.title));
  }
  for (size_t j = 0; j < map.column_labels.size(); ++j) {
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>)",
                       c(left + (j + 0.5) * cell_width), c(top - 8), kFont,
                       escape_markup(map.column_labels[j]));
  }
  svg += "\n";
  for (size_t i = 0; i < map.row_labels.size(); ++i) {
    const double y = top + static_cast<double>(i) * kCellHeight;
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="{}" text-anchor="end">{}</text>)",
                       c(left - 8), c(y + kCellHeight / 2 + 4), kFont,
                       escape_markup(map.row_labels[i]));
    for (size_t j = 0; j < map.column_labels.size(); ++j) {
      const double value = map.values[i][j];
      const bool finite = std::isfinite(value);
      const Rgb fill = finite ? scale_colour((value - range.low) / (range.high - range.low))
                              : Rgb{230, 230, 230};
      const double x = left + static_cast<double>(j) * cell_width;
      svg += fmt::format(
          R"(<g class="cell"><rect x="{}" y="{}" width="{}" height="{}" fill="{}" )"
          R"(stroke="#ffffff"/><text x="{}" y="{}" font-size="{}" text-anchor="middle" )"
          R"(fill="{}">{}</text></g>)",
          c(x), c(y), c(cell_width), kCellHeight, to_hex(fill), c(x + cell_width / 2),
          c(y + kCellHeight / 2 + 4), kFont, finite ? text_colour_on(fill) : "#555555",
          escape_markup(format_value(value, 3)));
    }
    svg += "\n";
  }
  svg += render_scale_bar(bar_x, top, bar_height, range, map.value_label);
  return svg + "</svg>\n";
}

}  // namespace retune::report
