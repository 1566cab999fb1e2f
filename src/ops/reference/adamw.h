// Plain-loop reference of ops/adamw.h, in any floating type (double for the checks): the
// formulas as written, with the bias-corrected moments m_hat and v_hat.
#pragma once

#include <cmath>
#include <cstdint>

#include "ops/adamw.h"

namespace retune::ops::reference {

// Step t (1-based) on n elements; param, m and v in place.
template <typename T>
void adamw_step(T* param, const T* grad, T* m, T* v, int64_t n, int64_t step,
                const AdamWOptions& o) {
  const T lr = static_cast<T>(o.lr);
  const T beta1 = static_cast<T>(o.beta1);
  const T beta2 = static_cast<T>(o.beta2);
  const T t = static_cast<T>(step);
  for (int64_t i = 0; i < n; ++i) {
    param[i] -= lr * static_cast<T>(o.weight_decay) * param[i];
    m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
    v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
    const T m_hat = m[i] / (1 - std::pow(beta1, t));
    const T v_hat = v[i] / (1 - std::pow(beta2, t));
    param[i] -= lr * m_hat / (std::sqrt(v_hat) + static_cast<T>(o.eps));
  }
}

}  // namespace retune::ops::reference
