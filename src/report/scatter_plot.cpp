#include "report/scatter_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/markup.h"
#include "report/palette.h"
#include "report/plot_frame.h"

namespace retune::report {

namespace {

constexpr double kLabelFont = 12;
constexpr double kLabelGap = 14;  // the least vertical distance between two labels' baselines

// A drawn point: its index, pixel position and where its label goes.
struct PlacedPoint {
  size_t index = 0;
  double x = 0;
  double y = 0;
  double label_x = 0;
  double label_y = 0;
  bool label_left = false;
};

bool label_boxes_overlap(const PlacedPoint& a, const PlacedPoint& b, double a_width,
                         double b_width) {
  const double a_left = a.label_left ? a.label_x - a_width : a.label_x;
  const double b_left = b.label_left ? b.label_x - b_width : b.label_x;
  const bool apart_horizontally = a_left + a_width < b_left || b_left + b_width < a_left;
  return !apart_horizontally && std::fabs(a.label_y - b.label_y) < kLabelGap;
}

// Labels go right of their point (left of it in the plot's right third), then move down, from
// the top of the plot, until they clear every label placed before them.
std::vector<PlacedPoint> place_points(const PlotFrame& frame,
                                      const std::vector<ScatterPoint>& points) {
  std::vector<PlacedPoint> placed;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].x) || !std::isfinite(points[i].y)) continue;
    PlacedPoint p{.index = i, .x = frame.x_pixel(points[i].x), .y = frame.y_pixel(points[i].y)};
    p.label_left = p.x > frame.plot_left() + (frame.plot_right() - frame.plot_left()) * 2 / 3;
    p.label_x = p.label_left ? p.x - 7 : p.x + 7;
    p.label_y = p.y + 4;
    placed.push_back(p);
  }
  std::sort(placed.begin(), placed.end(),
            [](const PlacedPoint& a, const PlacedPoint& b) { return a.label_y < b.label_y; });
  for (size_t i = 0; i < placed.size(); ++i) {
    const double width = text_width(points[placed[i].index].label, kLabelFont);
    // Moving down past one label may meet another placed earlier: repeat until clear.
    for (bool moved = true; moved;) {
      moved = false;
      for (size_t j = 0; j < i; ++j) {
        const double other = text_width(points[placed[j].index].label, kLabelFont);
        if (label_boxes_overlap(placed[i], placed[j], width, other)) {
          placed[i].label_y = placed[j].label_y + kLabelGap;
          moved = true;
        }
      }
    }
  }
  return placed;
}

}  // namespace

std::string render_scatter_plot(const ScatterPlot& plot) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (const ScatterPoint& p : plot.points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    xs.push_back(p.x);
    ys.push_back(p.y);
  }
  const PlotFrame frame({plot.title, plot.x_label, plot.y_label}, make_axis_scale(xs, false, 0.08),
                        make_axis_scale(ys, false, 0.08), plot.width, plot.plot_height);
  std::string svg = frame.open_svg("chart scatter-plot");
  if (xs.empty()) svg += centred_note(frame, "no finite values");
  const auto c = format_coordinate;
  for (const PlacedPoint& p : place_points(frame, plot.points)) {
    svg += fmt::format(
        R"(<g class="point"><circle cx="{}" cy="{}" r="5" fill="{}" stroke="#222" )"
        R"(stroke-width="0.8"/><text x="{}" y="{}" font-size="{}" text-anchor="{}">{}</text></g>)"
        "\n",
        c(p.x), c(p.y), series_colour(p.index), c(p.label_x), c(p.label_y), kLabelFont,
        p.label_left ? "end" : "start", escape_markup(plot.points[p.index].label));
  }
  return svg + "</svg>\n";
}

}  // namespace retune::report
