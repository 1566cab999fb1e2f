// Helpers for the linalg tests: double views of tensors, error measures, orthonormality, and
// seeded matrices with a known spectrum.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "core/tensor.h"
#include "io/safetensors_file.h"
#include "linalg/matrix.h"
#include "linalg/qr.h"
#include "linalg/svd.h"

namespace retune::linalg::test_util {

inline Matrix as_matrix(const Tensor& t) {
  if (t.rank() == 1) return read_matrix(t.reshape({t.size(0), 1}), "test", "t", "[n]");
  return read_matrix(t, "test", "t", "[m, n]");
}

inline std::vector<double> as_vector(const Tensor& t) {
  const std::vector<float> values = t.to_f32_vector();
  return {values.begin(), values.end()};
}

inline double max_abs(const Matrix& m) {
  double largest = 0.0;
  for (double v : m.values) largest = std::max(largest, std::abs(v));
  return largest;
}

inline double max_abs_difference(const Matrix& a, const Matrix& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  double largest = 0.0;
  for (size_t i = 0; i < std::min(a.values.size(), b.values.size()); ++i) {
    largest = std::max(largest, std::abs(a.values[i] - b.values[i]));
  }
  return largest;
}

// ||a - b||_F / ||b||_F.
inline double relative_error(const Matrix& a, const Matrix& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < std::min(a.values.size(), b.values.size()); ++i) {
    diff += (a.values[i] - b.values[i]) * (a.values[i] - b.values[i]);
    norm += b.values[i] * b.values[i];
  }
  return std::sqrt(diff / norm);
}

// max |a_i - b_i| / max |b_i| (a max-norm relative error of a vector or matrix).
inline double relative_max_error(const Tensor& got, const Tensor& want) {
  const Matrix a = as_matrix(got), b = as_matrix(want);
  return max_abs_difference(a, b) / max_abs(b);
}

// max |q^T q - I| (orthonormal columns).
inline double orthonormality_error(const Matrix& q) {
  const Matrix gram = multiply(q, q, true, false);
  double largest = 0.0;
  for (int64_t i = 0; i < gram.rows; ++i) {
    for (int64_t j = 0; j < gram.cols; ++j) {
      largest = std::max(largest, std::abs(gram(i, j) - (i == j ? 1.0 : 0.0)));
    }
  }
  return largest;
}

// u diag(s) vt, in double from the f32 factors.
inline Matrix reconstruct(const Svd& svd) {
  Matrix u = as_matrix(svd.u);
  const std::vector<double> s = as_vector(svd.s);
  for (int64_t j = 0; j < u.cols; ++j) {
    for (int64_t i = 0; i < u.rows; ++i) u(i, j) *= s[static_cast<size_t>(j)];
  }
  return multiply(u, as_matrix(svd.vt));
}

// The cosines of the principal angles between the column spaces of a [m, r] and b [m, r]
// (orthonormal columns): the singular values of a^T b, all 1 when the spaces agree.
inline std::vector<double> principal_cosines(const Matrix& a, const Matrix& b) {
  return thin_svd(multiply(a, b, true, false)).s;
}

// An f32 [m, n] tensor U diag(s) V^T with seeded random orthonormal U [m, k], V [n, k] and the
// given singular values (k = s.size() <= min(m, n)).
inline Tensor matrix_with_spectrum(int64_t m, int64_t n, const std::vector<double>& s,
                                   uint64_t seed) {
  const auto k = static_cast<int64_t>(s.size());
  Matrix u = reduced_qr(as_matrix(normal_tensor({m, k}, seed, 0.0, 1.0))).q;
  const Matrix v = reduced_qr(as_matrix(normal_tensor({n, k}, seed + 1, 0.0, 1.0))).q;
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < m; ++i) u(i, j) *= s[static_cast<size_t>(j)];
  }
  return to_tensor(multiply(u, v, false, true));
}

inline std::vector<double> geometric(int64_t k, double ratio) {
  std::vector<double> s(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) s[static_cast<size_t>(i)] = std::pow(ratio, i);
  return s;
}

inline SafetensorsFile linalg_fixture(const std::string& name) {
  return SafetensorsFile::open(std::filesystem::path(RETUNE_FIXTURES_DIR) / "linalg" / name);
}

}  // namespace retune::linalg::test_util
