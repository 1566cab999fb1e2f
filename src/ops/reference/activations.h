// Plain-loop reference of ops/activations.h on n elements, in any floating type (double for
// the checks).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "ops/activations.h"

namespace retune::ops::reference {

template <typename T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
void silu_forward(const T* x, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * sigmoid(x[i]);
}

template <typename T>
void silu_backward(const T* x, const T* dout, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T s = sigmoid(x[i]);
    dx[i] = dout[i] * (s + x[i] * s * (T(1) - s));
  }
}

template <typename T>
void gelu_forward(const T* x, T* out, int64_t n, GeluApproximation approximation) {
  const T sqrt_2_over_pi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  for (int64_t i = 0; i < n; ++i) {
    const T cdf =
        approximation == GeluApproximation::none
            ? T(0.5) * (T(1) + std::erf(x[i] / std::numbers::sqrt2_v<T>))
            : T(0.5) *
                  (T(1) + std::tanh(sqrt_2_over_pi * (x[i] + T(0.044715) * x[i] * x[i] * x[i])));
    out[i] = x[i] * cdf;
  }
}

template <typename T>
void gelu_backward(const T* x, const T* dout, T* dx, int64_t n, GeluApproximation approximation) {
  const T sqrt_2_over_pi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  for (int64_t i = 0; i < n; ++i) {
    T derivative;
    if (approximation == GeluApproximation::none) {
      // d/dx [x Phi(x)] = Phi(x) + x phi(x).
      const T cdf = T(0.5) * (T(1) + std::erf(x[i] / std::numbers::sqrt2_v<T>));
      const T pdf =
          std::exp(-x[i] * x[i] / T(2)) * std::numbers::inv_sqrtpi_v<T> / std::numbers::sqrt2_v<T>;
      derivative = cdf + x[i] * pdf;
    } else {
      const T u = sqrt_2_over_pi * (x[i] + T(0.044715) * x[i] * x[i] * x[i]);
      const T du = sqrt_2_over_pi * (T(1) + T(3) * T(0.044715) * x[i] * x[i]);
      const T t = std::tanh(u);
      derivative = T(0.5) * (T(1) + t) + T(0.5) * x[i] * (T(1) - t * t) * du;
    }
    dx[i] = dout[i] * derivative;
  }
}

}  // namespace retune::ops::reference
