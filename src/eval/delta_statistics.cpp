#include "eval/delta_statistics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <utility>

#include "core/error.h"
#include "linalg/svd.h"

namespace retune::eval {
namespace {

double sum_of_squares(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0,
                         [](double sum, double v) { return sum + v * v; });
}

double entropy_rank(const std::vector<double>& sigma) {
  const double total = std::accumulate(sigma.begin(), sigma.end(), 0.0);
  if (total <= 0) return 0;
  double entropy = 0;
  for (const double s : sigma) {
    const double p = s / total;
    if (p > 0) entropy -= p * std::log(p);
  }
  return std::exp(entropy);
}

int64_t numerical_rank(const std::vector<double>& sigma) {
  if (sigma.empty() || sigma.front() <= 0) return 0;
  const double floor = 1e-6 * sigma.front();
  return std::count_if(sigma.begin(), sigma.end(), [floor](double s) { return s > floor; });
}

}  // namespace

double entries_for_energy(const linalg::Matrix& delta, double share) {
  std::vector<double> squares(delta.values.size());
  std::transform(delta.values.begin(), delta.values.end(), squares.begin(),
                 [](double v) { return v * v; });
  std::sort(squares.begin(), squares.end(), std::greater<>());
  const double total = std::accumulate(squares.begin(), squares.end(), 0.0);
  if (total <= 0) return 0;
  double kept = 0;
  size_t count = 0;
  while (count < squares.size() && kept < share * total) kept += squares[count++];
  return static_cast<double>(count) / static_cast<double>(squares.size());
}

DeltaStatistics delta_statistics(std::string module, const linalg::Matrix& base,
                                 const linalg::Matrix& tuned) {
  RETUNE_CHECK(base.rows == tuned.rows && base.cols == tuned.cols,
               "{}: the tuned weight is {}x{} but the base weight {}x{}", module, tuned.rows,
               tuned.cols, base.rows, base.cols);
  linalg::Matrix delta(base.rows, base.cols);
  for (size_t i = 0; i < delta.values.size(); ++i)
    delta.values[i] = tuned.values[i] - base.values[i];
  DeltaStatistics stats;
  stats.module = std::move(module);
  stats.rows = base.rows;
  stats.cols = base.cols;
  stats.frobenius = std::sqrt(sum_of_squares(delta.values));
  const double base_norm = std::sqrt(sum_of_squares(base.values));
  stats.relative =
      base_norm > 0 ? stats.frobenius / base_norm : std::numeric_limits<double>::quiet_NaN();
  stats.entries_for_90 = entries_for_energy(delta, 0.9);
  stats.entries_for_99 = entries_for_energy(delta, 0.99);
  stats.singular_values = linalg::thin_svd(std::move(delta)).s;
  stats.entropy_rank = entropy_rank(stats.singular_values);
  stats.numerical_rank = numerical_rank(stats.singular_values);
  return stats;
}

}  // namespace retune::eval
