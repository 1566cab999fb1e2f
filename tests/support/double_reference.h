// Helpers for checking an adapter against a double-precision reference written in its test
// (tests/adapters/*_linear_test.cpp): tensors as doubles, the base product the model hands an
// adapter, and gradients by central finite differences.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace retune {

inline std::vector<double> doubles(const Tensor& t) {
  const std::vector<float> values = t.to_f32_vector();
  return {values.begin(), values.end()};
}

// Every element of `got` within `tolerance` of `want`.
inline void expect_near(const Tensor& got, const std::vector<double>& want, double tolerance,
                        const std::string& what) {
  const std::vector<float> g = got.to_f32_vector();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], want[i], tolerance) << what << " " << i;
}

// x W^T [N, O] f32 for x [N, I] and W [O, I] (row-major doubles), summed in double, as the model
// hands it to an adapter (model/linear_adapter.h).
inline Tensor base_product(const std::vector<double>& x, const std::vector<double>& w, int64_t N,
                           int64_t I, int64_t O) {
  std::vector<float> z(static_cast<size_t>(N * O));
  for (int64_t t = 0; t < N; ++t) {
    for (int64_t o = 0; o < O; ++o) {
      double sum = 0;
      for (int64_t i = 0; i < I; ++i) {
        sum += x[static_cast<size_t>(t * I + i)] * w[static_cast<size_t>(o * I + i)];
      }
      z[static_cast<size_t>(t * O + o)] = static_cast<float>(sum);
    }
  }
  return Tensor::from_vector<float>({N, O}, DType::f32, z);
}

// d loss / d values[j] for each j, by central differences with step 1e-3 (exact up to rounding
// for a loss linear in each element, as the adapters' references are).
inline std::vector<double> finite_differences(std::vector<double>& values,
                                              const std::function<double()>& loss) {
  constexpr double h = 1e-3;
  std::vector<double> grad(values.size());
  for (size_t j = 0; j < values.size(); ++j) {
    const double v = values[j];
    values[j] = v + h;
    const double plus = loss();
    values[j] = v - h;
    grad[j] = (plus - loss()) / (2 * h);
    values[j] = v;
  }
  return grad;
}

}  // namespace retune
