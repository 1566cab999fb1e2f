// Horizontal bar charts: one labelled bar per item (a method's trainable parameters, its peak
// memory), on a linear or logarithmic value axis, rendered as one self-contained <svg> element.
#pragma once

#include <string>
#include <vector>

namespace retune::report {

// A bar: its label (left of it), its value, and the text written after it ("12,288 (0.5%)");
// a bar whose value is not finite (or, on a log axis, not positive) is drawn empty with its text.
struct Bar {
  std::string label;
  double value = 0;
  std::string text;
};

struct BarChart {
  std::string title;
  std::string axis_label;  // under the value axis
  std::vector<Bar> bars;
  bool log_scale = false;  // for values spanning decades
  double width = 560;
};

// The chart as an <svg class="chart bar-chart"> element; each bar is a <g class="bar"> holding
// its label, rectangle and text. Linear axes start at zero.
std::string render_bar_chart(const BarChart& chart);

}  // namespace retune::report
