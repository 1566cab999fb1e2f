// Plain-loop reference of ops/clip_grad_norm.h, in any floating type (double for the checks).
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// count gradients, grads[k] holding sizes[k] elements, clipped in place; returns the norm.
template <typename T>
T clip_grad_norm(T* const* grads, const int64_t* sizes, int64_t count, T max_norm) {
  T sum = 0;
  for (int64_t k = 0; k < count; ++k) {
    for (int64_t i = 0; i < sizes[k]; ++i) sum += grads[k][i] * grads[k][i];
  }
  const T total = std::sqrt(sum);
  if (!std::isfinite(total)) return total;
  const T coef = max_norm / (total + T(1e-6));
  if (max_norm > 0 && coef < 1) {
    for (int64_t k = 0; k < count; ++k) {
      for (int64_t i = 0; i < sizes[k]; ++i) grads[k][i] *= coef;
    }
  }
  return total;
}

}  // namespace retune::ops::reference
