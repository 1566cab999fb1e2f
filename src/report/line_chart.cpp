#include "report/line_chart.h"

#include <fmt/format.h>

#include <cmath>

#include "report/markup.h"
#include "report/palette.h"
#include "report/plot_frame.h"

namespace retune::report {

namespace {

constexpr double kLegendRow = 18;
constexpr double kLegendFont = 12;
constexpr size_t kMaxMarkedPoints = 60;

bool drawable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

// A legend entry's width: its swatch, gap, name and the space before the next entry.
double legend_entry_width(const LineSeries& series) {
  return 22 + 6 + text_width(series.name, kLegendFont) + 18;
}

// Where each legend entry goes when entries flow left to right from x = 0 and wrap at `width`:
// its x offset and its row.
struct LegendSlot {
  double x = 0;
  int row = 0;
};
std::vector<LegendSlot> legend_slots(const std::vector<LineSeries>& series, double width) {
  std::vector<LegendSlot> slots;
  LegendSlot next;
  for (const LineSeries& s : series) {
    const double entry = legend_entry_width(s);
    if (next.x > 0 && next.x + entry > width) next = {0, next.row + 1};
    slots.push_back(next);
    next.x += entry;
  }
  return slots;
}

std::string render_series(const PlotFrame& frame, const LineSeries& series, size_t index,
                          bool log_y) {
  const auto c = format_coordinate;
  const std::string colour = series_colour(index);
  std::string path;
  std::string circles;
  size_t points = 0;
  bool pen_down = false;
  const size_t count = std::min(series.x.size(), series.y.size());
  for (size_t i = 0; i < count; ++i) {
    if (!drawable(series.x[i], series.y[i], log_y)) {
      pen_down = false;
      continue;
    }
    ++points;
    const double x = frame.x_pixel(series.x[i]);
    const double y = frame.y_pixel(series.y[i]);
    path += fmt::format("{}{} {} ", pen_down ? "L" : "M", c(x), c(y));
    pen_down = true;
    circles += fmt::format(R"(<circle cx="{}" cy="{}" r="2.5" fill="{}"/>)", c(x), c(y), colour);
  }
  std::string svg = fmt::format(R"(<g class="series" data-name="{}" data-points="{}">)",
                                escape_markup(series.name), points);
  if (!path.empty()) {
    path.pop_back();
    svg += fmt::format(
        R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.8" stroke-linejoin="round"/>)",
        path, colour);
  }
  if (points <= kMaxMarkedPoints) svg += circles;
  return svg + "</g>\n";
}

std::string render_markers(const PlotFrame& frame, const std::vector<VerticalMarker>& markers) {
  const auto c = format_coordinate;
  std::string svg;
  for (const VerticalMarker& marker : markers) {
    if (!std::isfinite(marker.x)) continue;
    const double x = frame.x_pixel(marker.x);
    if (x < frame.plot_left() - 0.5 || x > frame.plot_right() + 0.5) continue;
    svg += fmt::format(
        R"(<g class="marker"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555" )"
        R"(stroke-dasharray="4 3"/><text x="{}" y="{}" font-size="10" fill="#555">{}</text></g>)"
        "\n",
        c(x), c(x), c(frame.plot_top()), c(frame.plot_bottom()), c(x + 3), c(frame.plot_top() + 11),
        escape_markup(marker.label));
  }
  return svg;
}

std::string render_legend(const PlotFrame& frame, const std::vector<LineSeries>& series) {
  const auto c = format_coordinate;
  const std::vector<LegendSlot> slots =
      legend_slots(series, frame.plot_right() - frame.plot_left());
  std::string svg = R"(<g class="legend">)";
  for (size_t i = 0; i < series.size(); ++i) {
    const double x = frame.plot_left() + slots[i].x;
    const double y = frame.extra_top() + slots[i].row * kLegendRow;
    svg +=
        fmt::format(R"(<g class="legend-entry"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" )"
                    R"(stroke-width="3"/><text x="{}" y="{}" font-size="{}">{}</text></g>)",
                    c(x), c(x + 22), c(y + 9), c(y + 9), series_colour(i), c(x + 28), c(y + 13),
                    kLegendFont, escape_markup(series[i].name));
  }
  return svg + "</g>\n";
}

}  // namespace

std::string render_line_chart(const LineChart& chart) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (const LineSeries& s : chart.series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!drawable(s.x[i], s.y[i], chart.log_y)) continue;
      xs.push_back(s.x[i]);
      ys.push_back(s.y[i]);
    }
  }
  for (const VerticalMarker& marker : chart.markers) xs.push_back(marker.x);
  const PlotLabels labels{chart.title, chart.x_label, chart.y_label};
  const AxisScale x_scale = make_axis_scale(xs, false);
  const AxisScale y_scale = make_axis_scale(ys, chart.log_y);
  // The legend's rows depend on the plot area's width, which the extra height does not change.
  const PlotFrame without_legend(labels, x_scale, y_scale, chart.width, chart.plot_height);
  const std::vector<LegendSlot> slots =
      legend_slots(chart.series, without_legend.plot_right() - without_legend.plot_left());
  const int rows = slots.empty() ? 0 : slots.back().row + 1;
  const PlotFrame frame(labels, x_scale, y_scale, chart.width, chart.plot_height,
                        rows * kLegendRow);
  std::string svg = frame.open_svg("chart line-chart");
  if (ys.empty()) svg += centred_note(frame, "no finite values");
  svg += render_markers(frame, chart.markers);
  for (size_t i = 0; i < chart.series.size(); ++i) {
    svg += render_series(frame, chart.series[i], i, chart.log_y);
  }
  svg += render_legend(frame, chart.series);
  return svg + "</svg>\n";
}

}  // namespace retune::report
