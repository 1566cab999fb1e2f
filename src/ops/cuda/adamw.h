// The CUDA kernel of ops/adamw.h: one elementwise pass over n parameters (device pointers),
// with the CPU kernel's per-step constants and its order of operations.
#pragma once

#include <cstdint>

#include "ops/cpu/adamw.h"

namespace retune::ops::cuda {

// p = p * decay - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps) after updating the
// moments m and v with grad, as torch.optim.AdamW. param, m, v in place; n elements each.
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n,
                const cpu::AdamWScalars& scalars);

}  // namespace retune::ops::cuda
