#include "eval/intruder_dimensions.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"

namespace retune::eval {

void check_intruder_options(const IntruderOptions& options) {
  RETUNE_CHECK(options.top_k >= 1, "--top-k must be >= 1, got {}", options.top_k);
  RETUNE_CHECK(options.epsilon > 0 && options.epsilon <= 1, "--epsilon must be in (0, 1], got {}",
               options.epsilon);
}

std::vector<double> IntruderAnalysis::intruder_singular_values() const {
  std::vector<double> values;
  for (const int64_t i : intruders) values.push_back(merged.s[static_cast<size_t>(i)]);
  return values;
}

IntruderAnalysis analyse_intruders(const linalg::Matrix& base, const linalg::Matrix& merged,
                                   const IntruderOptions& options) {
  check_intruder_options(options);
  RETUNE_CHECK(base.rows == merged.rows && base.cols == merged.cols,
               "intruder dimensions: the merged weight is {}x{} but the base weight {}x{}",
               merged.rows, merged.cols, base.rows, base.cols);
  IntruderAnalysis analysis;
  const linalg::SvdF64 base_svd = linalg::thin_svd(base);
  analysis.merged = linalg::thin_svd(merged);
  const int64_t k = std::min<int64_t>(options.top_k, analysis.merged.u.cols);
  // overlaps(i, j) = u_iᵀ u0_j
  const linalg::Matrix overlaps =
      linalg::multiply(analysis.merged.u.columns(0, k), base_svd.u, true, false);
  for (int64_t i = 0; i < k; ++i) {
    double largest = 0;
    for (int64_t j = 0; j < overlaps.cols; ++j)
      largest = std::max(largest, std::abs(overlaps(i, j)));
    analysis.cosines.push_back(largest);
    if (largest < options.epsilon) analysis.intruders.push_back(i);
  }
  return analysis;
}

ModuleIntruders summarise_intruders(std::string module, const IntruderAnalysis& analysis) {
  return {std::move(module), analysis.cosines, analysis.intruders,
          analysis.intruder_singular_values()};
}

std::vector<ModuleIntruders> find_intruders(const std::vector<ModuleWeights>& modules,
                                            const IntruderOptions& options) {
  check_intruder_options(options);
  std::vector<ModuleIntruders> found;
  for (const ModuleWeights& m : modules) {
    found.push_back(summarise_intruders(m.module, analyse_intruders(m.base, m.tuned, options)));
  }
  return found;
}

LoraFactors mitigated_lora_factors(const linalg::Matrix& base, const linalg::Matrix& merged,
                                   const IntruderAnalysis& analysis, double lambda, double scaling,
                                   int64_t rank) {
  RETUNE_CHECK(lambda >= 0 && lambda <= 1, "--mitigate must be in [0, 1], got {}", lambda);
  RETUNE_CHECK(scaling > 0 && rank >= 1,
               "intruder mitigation: scaling {} and rank {}, expected > 0", scaling, rank);
  const linalg::SvdF64& svd = analysis.merged;
  // (W_mit − W0) / s, W_mit = W + (λ − 1) Σ u_i σ_i v_iᵀ over the intruders.
  linalg::Matrix delta(base.rows, base.cols);
  for (int64_t j = 0; j < base.cols; ++j) {
    for (int64_t i = 0; i < base.rows; ++i) {
      double value = merged(i, j);
      for (const int64_t t : analysis.intruders) {
        value += (lambda - 1) * svd.u(i, t) * svd.s[static_cast<size_t>(t)] * svd.vt(t, j);
      }
      delta(i, j) = (value - base(i, j)) / scaling;
    }
  }
  const linalg::SvdF64 refactored = linalg::thin_svd(std::move(delta));
  LoraFactors factors{linalg::Matrix(rank, base.cols), linalg::Matrix(base.rows, rank)};
  const int64_t kept = std::min<int64_t>(rank, static_cast<int64_t>(refactored.s.size()));
  for (int64_t t = 0; t < kept; ++t) {
    const double root = std::sqrt(refactored.s[static_cast<size_t>(t)]);
    for (int64_t j = 0; j < base.cols; ++j) factors.a(t, j) = root * refactored.vt(t, j);
    for (int64_t i = 0; i < base.rows; ++i) factors.b(i, t) = refactored.u(i, t) * root;
  }
  return factors;
}

}  // namespace retune::eval
