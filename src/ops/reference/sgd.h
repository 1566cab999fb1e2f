// Plain-loop reference of ops/sgd.h, in any floating type (double for the checks).
#pragma once

#include <cstdint>

#include "ops/sgd.h"

namespace retune::ops::reference {

// One step on n elements; param and buffer in place (buffer unused when momentum is 0).
template <typename T>
void sgd_step(T* param, const T* grad, T* buffer, int64_t n, bool first_step, const SgdOptions& o) {
  const T momentum = static_cast<T>(o.momentum);
  for (int64_t i = 0; i < n; ++i) {
    T g = grad[i] + static_cast<T>(o.weight_decay) * param[i];
    if (momentum != 0) {
      buffer[i] = first_step ? g : momentum * buffer[i] + (1 - static_cast<T>(o.dampening)) * g;
      g = o.nesterov ? g + momentum * buffer[i] : buffer[i];
    }
    param[i] -= static_cast<T>(o.lr) * g;
  }
}

}  // namespace retune::ops::reference
