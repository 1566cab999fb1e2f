// IncrementalPca: PEFT's IncrementalPCA (peft/utils/incremental_pca.py, a torch port of
// scikit-learn's IncrementalPCA), which EVA runs on each targeted layer's inputs.
//
// Each partial_fit(x), x [N, F] (any float dtype and strides), does what PEFT's does:
//   - running per-feature mean and variance over all rows seen (PEFT's
//     _incremental_mean_and_var, the same update formulas, in double);
//   - the first batch: the SVD of x minus the running mean; later batches: the SVD of
//       [ diag(singular_values) components ;  x - mean(x) ;  sqrt(seen * N / (seen + N)) *
//         (previous mean - mean(x)) ]                 (n_components + N + 1 rows)
//     by thin_svd (lowrank = false) or randomized_svd (lowrank = true, q = lowrank_q,
//     niter = lowrank_niter, the same seed lowrank_seed at every call, as PEFT re-seeds torch
//     before every svd_lowrank);
//   - svd_flip(u_based_decision=False): each row of Vt is multiplied by the sign of its
//     largest-magnitude entry (the first one on ties), so signs are deterministic;
//   - explained_variance = S^2 / (samples_seen - 1);
//     explained_variance_ratio = S^2 / sum_j(var_j * samples_seen): the denominator is the total
//     variance from the running variance (as in PEFT and scikit-learn), not sum(S^2), so the
//     kept ratios sum to <= 1 and stay fractions of the total with the low-rank path;
//   - components = the first n_components rows of Vt (and of S, explained_variance, ratio);
//     noise_variance = the mean of the remaining explained variances, or 0 when n_components
//     equals N or F (NaN when nothing remains, as torch's mean of an empty tensor).
// PEFT runs float32 batches' first SVD in float32 and later ones in float64; everything here is
// double, so results agree with PEFT's to float32 rounding (the fixture test's tolerance).
// The low-rank path agrees with PEFT's only up to the randomness (retune's Rng, not torch's),
// exactly when lowrank_q >= min(rows, F).
//
// EVA (peft/tuners/lora/eva.py) constructs IncrementalPCA(n_components, copy=True,
// lowrank=True, lowrank_seed=42): lowrank_q = 2 * n_components, lowrank_niter = 4, and skips
// batches with fewer rows than n_components (partial_fit here refuses them, as PEFT's does).
//
// Throws retune::Error naming the method and the shape expected: n_components < 1, lowrank_q
// (when given) < n_components, or lowrank_niter < 0 in the constructor; an undefined, non-2-D,
// non-float or empty x, a non-finite element, F < n_components, N < n_components, or F other
// than the first batch's in partial_fit; the accessors before the first partial_fit.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "linalg/matrix.h"

namespace retune::linalg {

// PEFT's svd_flip(u, vt, u_based_decision=False) on vt alone: each row is multiplied by the sign
// of its largest-magnitude entry (the first one on ties, like torch.argmax).
void svd_flip_rows(Matrix& vt);

struct IncrementalPcaOptions {
  bool lowrank = false;        // randomized_svd (torch.svd_lowrank) instead of thin_svd
  int64_t lowrank_q = 0;       // 0: 2 * n_components (PEFT's default)
  int64_t lowrank_niter = 4;   // PEFT's default
  uint64_t lowrank_seed = 42;  // EVA's; PEFT's own default (None) is unseeded
};

class IncrementalPca {
 public:
  explicit IncrementalPca(int64_t n_components, IncrementalPcaOptions options = {});

  // One batch of rows.   x: [N, F], N >= n_components, F >= n_components, F fixed by the first
  void partial_fit(const Tensor& x);

  int64_t n_components() const { return n_components_; }
  int64_t lowrank_q() const { return options_.lowrank_q; }  // as resolved (2 * n_components)
  bool fitted() const { return samples_seen_ > 0; }
  int64_t features() const { return features_; }          // 0 before the first partial_fit
  int64_t samples_seen() const { return samples_seen_; }  // rows over all partial_fit calls

  // Owned contiguous f32 tensors; k = n_components, F = features().
  Tensor components() const;                // [k, F], rows orthonormal, svd_flip's signs
  Tensor singular_values() const;           // [k], descending
  Tensor explained_variance() const;        // [k]
  Tensor explained_variance_ratio() const;  // [k]
  Tensor mean() const;                      // [F] running mean
  Tensor variance() const;                  // [F] running (population) variance
  double noise_variance() const;

  // The same in double.
  const Matrix& components_f64() const;  // k x F
  const std::vector<double>& singular_values_f64() const;
  const std::vector<double>& explained_variance_f64() const;
  const std::vector<double>& explained_variance_ratio_f64() const;

 private:
  void require_fitted(const char* accessor) const;

  int64_t n_components_;
  IncrementalPcaOptions options_;
  int64_t features_ = 0;
  int64_t samples_seen_ = 0;
  std::vector<double> mean_;
  std::vector<double> var_;
  Matrix components_;
  std::vector<double> singular_values_;
  std::vector<double> explained_variance_;
  std::vector<double> explained_variance_ratio_;
  double noise_variance_ = 0.0;
};

}  // namespace retune::linalg
