// PlotFrame: the frame that line charts and scatter plots draw their data in: an SVG canvas with
// a title, a plot area with grid lines, ticks and tick labels on both axes, and axis labels; and
// the mapping from data values to pixel coordinates. Sizes are in CSS pixels.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "report/axis_ticks.h"

namespace retune::report {

// One axis: its range (from its first to its last tick), its ticks, and whether it is
// logarithmic (then every value and tick is positive).
struct AxisScale {
  AxisRange range;
  std::vector<double> ticks;
  bool log_scale = false;

  // Where `value` lies on the axis: 0 at range.low, 1 at range.high (log: in log space).
  double fraction(double value) const;
};

// The scale for `values` (non-finite ones and, on a log axis, non-positive ones ignored), with
// nice ticks enclosing them; `padding` widens the data's span by that fraction on each side
// first (so points do not sit on the frame), but not below zero for non-negative data.
AxisScale make_axis_scale(std::span<const double> values, bool log_scale, double padding = 0);

// The words around a plot.
struct PlotLabels {
  std::string title;
  std::string x_label;
  std::string y_label;
};

class PlotFrame {
 public:
  // A canvas `width` wide whose plot area is `plot_height` tall, with `extra_height` below the
  // x axis label for the caller's own parts (a legend); the left margin fits the widest y tick.
  PlotFrame(PlotLabels labels, AxisScale x, AxisScale y, double width, double plot_height,
            double extra_height = 0);

  // Pixel coordinates of a data value, inside the plot area for values in the axes' ranges.
  double x_pixel(double value) const;
  double y_pixel(double value) const;

  double plot_left() const { return left_; }
  double plot_right() const { return right_; }
  double plot_top() const { return top_; }
  double plot_bottom() const { return bottom_; }
  // Where the caller's extra parts begin (below the x axis label).
  double extra_top() const { return extra_top_; }
  double width() const { return width_; }

  // The opening <svg> tag (with `css_class`) and everything of the frame: title, grid, axes,
  // tick labels, axis labels. The caller appends its data and closes with "</svg>".
  std::string open_svg(const std::string& css_class) const;

 private:
  PlotLabels labels_;
  AxisScale x_;
  AxisScale y_;
  double width_;
  double height_;
  double left_;
  double right_;
  double top_;
  double bottom_;
  double extra_top_;
};

// A vertical grid line at x from top to bottom, with the tick's value under it (11 px font).
std::string vertical_tick(double x, double top, double bottom, double tick);

// The text of a note drawn in the middle of a plot area ("no finite values").
std::string centred_note(const PlotFrame& frame, const std::string& text);

}  // namespace retune::report
