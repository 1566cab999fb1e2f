#include "report/bar_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/markup.h"
#include "report/palette.h"
#include "report/plot_frame.h"

namespace retune::report {
namespace {

constexpr double kTitleSize = 15;
constexpr double kFont = 12;
constexpr double kRow = 24;  // one bar's band
constexpr double kBar = 16;

bool drawable(const Bar& bar, bool log_scale) {
  return std::isfinite(bar.value) && (!log_scale || bar.value > 0);
}

}  // namespace

std::string render_bar_chart(const BarChart& chart) {
  std::vector<double> values;
  for (const Bar& bar : chart.bars) {
    if (drawable(bar, chart.log_scale)) values.push_back(bar.value);
  }
  if (!chart.log_scale) values.push_back(0);  // linear bars start at zero
  const AxisScale scale = make_axis_scale(values, chart.log_scale);
  double label_width = 0;
  double text_width_max = 0;
  for (const Bar& bar : chart.bars) {
    label_width = std::max(label_width, text_width(bar.label, kFont));
    text_width_max = std::max(text_width_max, text_width(bar.text, kFont));
  }
  const double left = 12 + label_width + 8;
  const double right = std::max(left + 80, chart.width - text_width_max - 16);
  const double top = chart.title.empty() ? 14 : kTitleSize + 22;
  const double bottom = top + kRow * static_cast<double>(chart.bars.size()) + 4;
  const double height = bottom + 22 + (chart.axis_label.empty() ? 0 : kFont + 10) + 6;
  const auto x_pixel = [&](double value) {
    return left + std::clamp(scale.fraction(value), 0.0, 1.0) * (right - left);
  };
  const auto c = format_coordinate;

  std::string svg = open_svg_canvas("chart bar-chart", chart.width, height);
  if (!chart.title.empty()) {
    svg +=
        fmt::format(R"(<text class="title" x="{}" y="{}" font-size="{}" font-weight="600" )"
                    R"(text-anchor="middle">{}</text>)"
                    "\n",
                    c(chart.width / 2), c(kTitleSize + 6), kTitleSize, escape_markup(chart.title));
  }
  for (const double tick : scale.ticks) svg += vertical_tick(x_pixel(tick), top, bottom, tick);
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& bar = chart.bars[i];
    const double y = top + kRow * static_cast<double>(i) + (kRow - kBar) / 2 + 2;
    const double end = drawable(bar, chart.log_scale) ? x_pixel(bar.value) : left;
    svg += fmt::format(
        R"(<g class="bar"><text x="{}" y="{}" font-size="{}" text-anchor="end">{}</text>)"
        R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)"
        R"(<text x="{}" y="{}" font-size="{}" fill="#444">{}</text></g>)"
        "\n",
        c(left - 8), c(y + kBar - 4), kFont, escape_markup(bar.label), c(left), c(y), c(end - left),
        kBar, series_colour(i), c(end + 6), c(y + kBar - 4), kFont, escape_markup(bar.text));
  }
  svg += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#888"/>)"
                     "\n",
                     c(left), c(left), c(top), c(bottom));
  if (!chart.axis_label.empty()) {
    svg += fmt::format(
        R"(<text class="axis-label" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>)"
        "\n",
        c((left + right) / 2), c(bottom + 22 + kFont + 4), kFont, escape_markup(chart.axis_label));
  }
  return svg + "</svg>\n";
}

}  // namespace retune::report
