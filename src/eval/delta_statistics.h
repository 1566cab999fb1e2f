// What a fine-tuning did to one weight matrix, ΔW = W − W0 ([out, in], double), for
// `retune analyze delta`:
//   frobenius            ‖ΔW‖_F, and relative = ‖ΔW‖_F / ‖W0‖_F (NaN when W0 is zero)
//   singular_values      every singular value of ΔW, descending (min(out, in) of them)
//   entropy_rank         the entropy effective rank of Roy & Vetterli (2007), exp(H(p)) with
//                        p_i = σ_i / Σσ and H(p) = −Σ p_i ln p_i (0 ln 0 = 0): 1 for a rank-1
//                        ΔW, n for n equal singular values; 0 when ΔW is zero
//   numerical_rank       the count of σ_i > 1e-6 · σ_max (0 when ΔW is zero)
//   entries_for_90 / _99 the fraction of ΔW's entries, taken by magnitude largest first, whose
//                        squares sum to at least 90% / 99% of ‖ΔW‖_F²: 1/numel for one nonzero
//                        entry, 1 for equal entries (0 when ΔW is zero)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "linalg/matrix.h"

namespace retune::eval {

struct DeltaStatistics {
  std::string module;
  int64_t rows = 0, cols = 0;
  double frobenius = 0;
  double relative = 0;
  std::vector<double> singular_values;
  double entropy_rank = 0;
  int64_t numerical_rank = 0;
  double entries_for_90 = 0;
  double entries_for_99 = 0;
};

// Throws an Error when the shapes differ.
DeltaStatistics delta_statistics(std::string module, const linalg::Matrix& base,
                                 const linalg::Matrix& tuned);

// The fraction of `delta`'s entries, largest magnitude first, that holds at least `share` of its
// energy (Σ squares); 0 for a zero delta.
double entries_for_energy(const linalg::Matrix& delta, double share);

}  // namespace retune::eval
