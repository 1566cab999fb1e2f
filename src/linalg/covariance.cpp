#include "linalg/covariance.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace retune::linalg {
namespace {

constexpr const char* kDims = "[N, features]";

Matrix scaled(Matrix m, double factor) {
  for (double& value : m.values) value *= factor;
  return m;
}

}  // namespace

Covariance::Covariance(int64_t features) : features_(features) {
  RETUNE_CHECK(features >= 1, "Covariance: features is {}, expected >= 1", features);
  RETUNE_CHECK(features <= 46340, "Covariance: features is {}, expected at most 46340",
               features);  // features^2 < 2^31 (LAPACK / BLAS 32-bit indices)
  upper_ = Matrix(features, features);
}

void Covariance::add(const Tensor& x, double weight) {
  const Matrix m = read_matrix(x, "Covariance::add", "x", kDims);
  RETUNE_CHECK(std::isfinite(weight), "Covariance::add: weight is {}, expected a finite value",
               weight);
  accumulate(m, weight, "Covariance::add");
}

void Covariance::add_scaled_by_max(const Tensor& x) {
  const char* function = "Covariance::add_scaled_by_max";
  const Matrix m = read_matrix(x, function, "x", kDims);
  check_columns(m, function);
  double largest = m.values.front();
  for (double value : m.values) largest = std::max(largest, value);
  RETUNE_CHECK(largest != 0.0,
               "{}: the largest element of x ({}) is 0, expected a nonzero maximum to divide by",
               function, x.describe());
  accumulate(m, 1.0 / (largest * largest), function);
}

void Covariance::check_columns(const Matrix& x, const char* function) const {
  RETUNE_CHECK(x.cols == features_, "{}: x has {} columns, expected [N, {}]", function, x.cols,
               features_);
}

void Covariance::accumulate(const Matrix& x, double weight, const char* function) {
  check_columns(x, function);
  // upper += weight * x^T x; x is N x F column-major.
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, static_cast<blasint>(features_),
              static_cast<blasint>(x.rows), weight, x.data(), static_cast<blasint>(x.rows), 1.0,
              upper_.data(), static_cast<blasint>(features_));
  count_ += 1;
  rows_ += x.rows;
}

Matrix Covariance::sum_f64() const {
  Matrix full = upper_;
  for (int64_t j = 0; j < features_; ++j) {
    for (int64_t i = j + 1; i < features_; ++i) full(i, j) = full(j, i);
  }
  return full;
}

Matrix Covariance::mean_f64() const {
  RETUNE_CHECK(count_ > 0, "Covariance::mean: nothing was added yet");
  return scaled(sum_f64(), 1.0 / static_cast<double>(count_));
}

Tensor Covariance::sum() const {
  return to_tensor(sum_f64());
}

Tensor Covariance::mean() const {
  return to_tensor(mean_f64());
}

Tensor Covariance::mean_per_row() const {
  RETUNE_CHECK(rows_ > 0, "Covariance::mean_per_row: nothing was added yet");
  return to_tensor(scaled(sum_f64(), 1.0 / static_cast<double>(rows_)));
}

}  // namespace retune::linalg
