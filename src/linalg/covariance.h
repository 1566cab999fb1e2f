// Covariance: a running sum of x^T x over batches of activations, in double (CorDA's statistics).
//
//   features F; each add(x, weight) with x [N, F] (any float dtype and strides, N >= 1) does
//     sum += weight * x^T x      count += 1      rows += N
//   mean() = sum / count
//
// CorDA (PEFT's tuners/lora/corda.py; METHODS.md A6) takes, per calibration sample b, the
// layer's input X_b [T, F], divides it by |max(X_b)| (the largest element, signed, then its
// absolute value: `input / torch.max(input).abs()`; not the largest magnitude) and averages
// X_b^T X_b over the samples: one add_scaled_by_max(X_b) per sample, then mean(). With
// another scaling, add(X_b, s * s) adds (s X_b)^T (s X_b); mean_per_row() = sum / rows gives
// the per-token second moment instead.
//
// sum(), mean(), mean_per_row(): [F, F] owned contiguous f32 tensors (symmetric); the _f64
// variants keep double precision. Memory: F * F doubles.
//
// Throws retune::Error naming the method and the shape expected: features < 1 in the
// constructor; an undefined, non-2-D, non-float or empty x, x with other than F columns, a
// non-finite element or weight; add_scaled_by_max when max(x) is 0; mean() before any add.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "linalg/matrix.h"

namespace retune::linalg {

class Covariance {
 public:
  explicit Covariance(int64_t features);

  // sum += weight * x^T x, count += 1.   x: [N, features]
  void add(const Tensor& x, double weight = 1.0);
  // CorDA's sample: add(x, 1 / max(x)^2), i.e. (x / |max(x)|)^T (x / |max(x)|).
  void add_scaled_by_max(const Tensor& x);

  int64_t features() const { return features_; }
  int64_t count() const { return count_; }  // add calls
  int64_t rows() const { return rows_; }    // rows of x over all add calls

  Tensor sum() const;           // [F, F]
  Tensor mean() const;          // sum / count: CorDA's C
  Tensor mean_per_row() const;  // sum / rows
  Matrix sum_f64() const;
  Matrix mean_f64() const;

 private:
  void check_columns(const Matrix& x, const char* function) const;
  void accumulate(const Matrix& x, double weight, const char* function);

  int64_t features_;
  int64_t count_ = 0;
  int64_t rows_ = 0;
  Matrix upper_;  // F x F; only the upper triangle is accumulated (dsyrk)
};

}  // namespace retune::linalg
