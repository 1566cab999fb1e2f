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

}  // namespace retune::ops::reference
