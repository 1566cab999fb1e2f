// Axis scales for charts: the range a set of values spans, and "nice" tick positions over it
// (1, 2 or 5 times a power of ten on linear axes; powers of ten, with 2 and 5 between them over
// short spans, on logarithmic ones).
#pragma once

#include <span>
#include <vector>

namespace retune::report {

// A closed interval [low, high] with low < high.
struct AxisRange {
  double low = 0;
  double high = 1;
};

// The span of the finite values (and, on a log axis, only the positive ones), widened so that it
// is never empty: one value v gives [v - 1, v + 1] (log: [v / 10, v * 10]); no usable value gives
// [0, 1] (log: [1, 10]).
AxisRange data_range(std::span<const double> values, bool log_scale);

// Ticks for a linear axis: about `target_count` multiples of a nice step (1, 2 or 5 × 10^k),
// from the largest multiple <= range.low to the smallest >= range.high, so they enclose the
// range. E.g. [0.13, 0.97] with 5 -> 0, 0.2, 0.4, 0.6, 0.8, 1.
std::vector<double> linear_ticks(AxisRange range, int target_count = 5);

// Ticks for a log axis (range.low > 0): the powers of ten enclosing the range; over at most
// two decades also 2 and 5 times them. E.g. [0.3, 20] -> 0.2, 0.5, 1, 2, 5, 10, 20.
std::vector<double> log_ticks(AxisRange range);

}  // namespace retune::report
