// The CUDA kernel of ops/adamw.h: one elementwise pass over each parameter tensor (device
// pointers), many tensors per launch, with the CPU kernel's per-step constants and its order of
// operations.
#pragma once

#include <cstdint>
#include <span>

#include "ops/cpu/adamw.h"

namespace retune::ops::cuda {

// One tensor of a step: device pointers, its element count and its constants.
struct AdamWTensor {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t n;
  cpu::AdamWScalars scalars;
};

// The tensors one launch takes: passed by value as the kernel's argument (under 4 KiB).
constexpr int kAdamWTensorsPerLaunch = 40;

// For each tensor: p = p * decay - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps) after
// updating the moments m and v with grad, as torch.optim.AdamW; param, m, v in place. One launch
// per kAdamWTensorsPerLaunch tensors.
void adamw_steps(std::span<const AdamWTensor> tensors);

}  // namespace retune::ops::cuda
