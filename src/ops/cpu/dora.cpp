#include "ops/cpu/dora.h"

#include <cmath>

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

}  // namespace retune::ops::cpu
