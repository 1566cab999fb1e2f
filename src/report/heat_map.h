// Heat maps: a grid of values drawn as coloured cells, each with its value written in it, row
// labels on the left, column labels on top and a colour scale bar on the right, rendered as one
// self-contained <svg> element. The accuracy matrix of a continual run is one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/axis_ticks.h"

namespace retune::report {

struct HeatMap {
  std::string title;
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  // values[row][column]: row_labels.size() rows of column_labels.size() values each; a
  // non-finite value is an empty (grey) cell showing "–".
  std::vector<std::vector<double>> values;
  // The values the colour scale spans; without one, the finite values' span.
  std::optional<AxisRange> value_range;
  std::string value_label;  // written beside the colour scale ("accuracy")
};

// The map as an <svg class="chart heat-map"> element: a <g class="cell"> per value (its rect
// and its text), labels and the scale bar. Throws retune::Error when the values are not
// row_labels.size() × column_labels.size().
std::string render_heat_map(const HeatMap& map);

}  // namespace retune::report
