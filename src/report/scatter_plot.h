// Scatter plots: labelled points over two axes with nice ticks (one point per method, say),
// rendered as one self-contained <svg> element.
#pragma once

#include <string>
#include <vector>

namespace retune::report {

// A point and the label written beside it; a point with a non-finite coordinate is left out.
struct ScatterPoint {
  std::string label;
  double x = 0;
  double y = 0;
};

struct ScatterPlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ScatterPoint> points;
  double width = 560;
  double plot_height = 320;
};

// The plot as an <svg class="chart scatter-plot"> element; each drawn point is a
// <g class="point"> holding its circle and label (labels are nudged apart vertically so they do
// not overlap). A plot without any drawable point shows "no finite values".
std::string render_scatter_plot(const ScatterPlot& plot);

}  // namespace retune::report
