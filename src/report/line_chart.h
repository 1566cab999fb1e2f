// Line charts: several named series of (x, y) points over shared axes with nice ticks, an
// optional logarithmic y axis, dashed vertical markers (task boundaries) and a legend below the
// plot, rendered as one self-contained <svg> element.
#pragma once

#include <string>
#include <vector>

namespace retune::report {

// One line. x and y have the same length; a point with a non-finite coordinate (or, on a log
// axis, y <= 0) is left out and breaks the line there.
struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

// A dashed vertical line across the plot at x, with a short label at its top.
struct VerticalMarker {
  double x = 0;
  std::string label;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;
  std::vector<LineSeries> series;
  std::vector<VerticalMarker> markers;
  double width = 560;
  double plot_height = 220;  // the plot area's height, without title, labels and legend
};

// The chart as an <svg class="chart line-chart"> element. Each series is a
// <g class="series" data-name="NAME" data-points="N"> (N: the points drawn) holding its path,
// and its points as circles when there are at most 60; the legend lists every series. A chart
// without any drawable point shows "no finite values" instead of lines.
std::string render_line_chart(const LineChart& chart);

}  // namespace retune::report
