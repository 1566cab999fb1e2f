// Plain-loop reference of ops/dora.h, in any floating type (double for the checks); contiguous
// row-major arrays.
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

template <typename T>
void dora_norm_scale(const T* weight, const T* delta, const T* magnitude, int64_t O, int64_t I,
                     T* norm, T* scale) {
  for (int64_t o = 0; o < O; ++o) {
    T sum = 0;
    for (int64_t i = 0; i < I; ++i) {
      const T v = weight[o * I + i] + delta[o * I + i];
      sum += v * v;
    }
    norm[o] = std::sqrt(sum);
    scale[o] = magnitude[o] / norm[o];
  }
}

// subtract may be null.
template <typename T>
void dora_scale_columns(const T* x, const T* scale, const T* subtract, T* out, int64_t N,
                        int64_t O, bool accumulate) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) {
      const int64_t at = n * O + o;
      const T value = scale[o] * x[at] - (subtract ? subtract[at] : T(0));
      out[at] = (accumulate ? out[at] : T(0)) + value;
    }
  }
}

template <typename T>
void dora_magnitude_grad(const T* dz, const T* term, const T* norm, int64_t N, int64_t O,
                         T* magnitude_grad) {
  for (int64_t o = 0; o < O; ++o) {
    T sum = 0;
    for (int64_t n = 0; n < N; ++n) sum += dz[n * O + o] * term[n * O + o];
    magnitude_grad[o] += sum / norm[o];
  }
}

}  // namespace retune::ops::reference
