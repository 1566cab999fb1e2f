#include "report/axis_ticks.h"

#include <algorithm>
#include <cmath>

namespace retune::report {

AxisRange data_range(std::span<const double> values, bool log_scale) {
  double low = INFINITY;
  double high = -INFINITY;
  for (const double v : values) {
    if (!std::isfinite(v) || (log_scale && v <= 0)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (low > high) return log_scale ? AxisRange{1, 10} : AxisRange{0, 1};
  if (low == high) return log_scale ? AxisRange{low / 10, low * 10} : AxisRange{low - 1, low + 1};
  return {low, high};
}

namespace {

// The nice step (1, 2 or 5 × 10^k) closest above span / target_count.
double nice_step(double span, int target_count) {
  const double raw = span / std::max(target_count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (factor * power >= raw * (1 - 1e-9)) return factor * power;
  }
  return 10 * power;
}

}  // namespace

std::vector<double> linear_ticks(AxisRange range, int target_count) {
  const double step = nice_step(range.high - range.low, target_count);
  const double first = std::floor(range.low / step + 1e-9);
  const double last = std::ceil(range.high / step - 1e-9);
  std::vector<double> ticks;
  for (double k = first; k <= last; ++k) {
    const double tick = k * step;
    ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);  // no -0 from rounding
  }
  return ticks;
}

std::vector<double> log_ticks(AxisRange range) {
  const double first = std::floor(std::log10(range.low) + 1e-9);
  const double last = std::ceil(std::log10(range.high) - 1e-9);
  const bool short_span = range.high / range.low <= 100;
  std::vector<double> ticks;
  for (double e = first; e <= last; ++e) {
    const double power = std::pow(10.0, e);
    ticks.push_back(power);
    if (!short_span || e == last) continue;
    ticks.push_back(2 * power);
    ticks.push_back(5 * power);
  }
  // Trim the 2/5 ticks outside the range, keeping one on each side so the ticks enclose it.
  const auto below = std::upper_bound(ticks.begin(), ticks.end(), range.low * (1 + 1e-9));
  const auto above = std::lower_bound(ticks.begin(), ticks.end(), range.high * (1 - 1e-9));
  return {below == ticks.begin() ? below : below - 1, above == ticks.end() ? above : above + 1};
}

}  // namespace retune::report
