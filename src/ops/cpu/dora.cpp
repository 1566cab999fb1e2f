#include "ops/cpu/dora.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace retune::ops::cpu {

namespace {

// Element k of a weight of `dtype`, as f32.
float weight_value(const void* weight, DType dtype, int64_t k) {
  switch (dtype) {
    case DType::bf16:
      return bf16_to_f32(static_cast<const uint16_t*>(weight)[k]);
    case DType::f16:
      return f16_to_f32(static_cast<const uint16_t*>(weight)[k]);
    default:
      return static_cast<const float*>(weight)[k];
  }
}

}  // namespace

void dora_norm_scale(const void* weight, DType dtype, int64_t row_stride, int64_t col_stride,
                     const float* delta, const float* magnitude, int64_t O, int64_t I, float* norm,
                     float* scale) {
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < O; ++o) {
    double sum = 0.0;
    for (int64_t i = 0; i < I; ++i) {
      const double v =
          weight_value(weight, dtype, o * row_stride + i * col_stride) + delta[o * I + i];
      sum += v * v;
    }
    norm[o] = static_cast<float>(std::sqrt(sum));
    scale[o] = magnitude[o] / norm[o];
  }
}

void dora_scale_columns(const float* x, const float* scale, const float* subtract, float* out,
                        int64_t N, int64_t O, bool accumulate) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) {
      const int64_t at = n * O + o;
      float value = scale[o] * x[at];
      if (subtract) value -= subtract[at];
      out[at] = accumulate ? out[at] + value : value;
    }
  }
}

void dora_magnitude_grad(const float* dz, const float* term, const float* norm, int64_t N,
                         int64_t O, float* magnitude_grad) {
  constexpr int64_t kColumns = 64;
#pragma omp parallel for schedule(static)
  for (int64_t o0 = 0; o0 < O; o0 += kColumns) {
    const int64_t o1 = std::min(O, o0 + kColumns);
    std::vector<double> sums(static_cast<size_t>(o1 - o0), 0.0);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t o = o0; o < o1; ++o) {
        sums[static_cast<size_t>(o - o0)] += static_cast<double>(dz[n * O + o]) * term[n * O + o];
      }
    }
    for (int64_t o = o0; o < o1; ++o) {
      magnitude_grad[o] += static_cast<float>(sums[static_cast<size_t>(o - o0)] / norm[o]);
    }
  }
}

}  // namespace retune::ops::cpu
