// The CUDA kernel of ops/sgd.h: one elementwise pass over n parameters (device pointers), with
// the CPU kernel's constants and order of operations.
#pragma once

#include <cstdint>

#include "ops/cpu/sgd.h"

namespace retune::ops::cuda {

// param and buffer (null when momentum is 0) in place; n elements each.
void sgd_step(float* param, const float* grad, float* buffer, int64_t n,
              const cpu::SgdScalars& scalars);

}  // namespace retune::ops::cuda
