#include "ops/cpu/activations.h"

#include <cmath>
#include <numbers>

namespace retune::ops::cpu {

namespace {

constexpr auto kInvSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
constexpr auto kInvSqrt2Pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
constexpr auto kSqrt2OverPi = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
constexpr float kCubic = 0.044715f;

}  // namespace

void silu_forward(const float* x, int64_t n, float* out) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void silu_backward(const float* x, const float* dout, int64_t n, float* dx) {
  // silu'(x) = s (1 + x (1 - s)) with s = sigmoid(x).
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + std::exp(-x[i]));
    dx[i] = dout[i] * s * (1.0f + x[i] * (1.0f - s));
  }
}

void gelu_forward(const float* x, int64_t n, GeluApproximation approximation, float* out) {
  if (approximation == GeluApproximation::none) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
  } else {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float u = kSqrt2OverPi * (x[i] + kCubic * x[i] * x[i] * x[i]);
      out[i] = 0.5f * x[i] * (1.0f + std::tanh(u));
    }
  }
}

void gelu_backward(const float* x, const float* dout, int64_t n, GeluApproximation approximation,
                   float* dx) {
  if (approximation == GeluApproximation::none) {
    // gelu'(x) = Phi(x) + x phi(x), the normal CDF and density.
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float cdf = 0.5f * (1.0f + std::erf(x[i] * kInvSqrt2));
      const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x[i] * x[i]);
      dx[i] = dout[i] * (cdf + x[i] * pdf);
    }
  } else {
    // With t = tanh(u): gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) du/dx.
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float x2 = x[i] * x[i];
      const float t = std::tanh(kSqrt2OverPi * (x[i] + kCubic * x2 * x[i]));
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x2);
      dx[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * x[i] * (1.0f - t * t) * du);
    }
  }
}

}  // namespace retune::ops::cpu
