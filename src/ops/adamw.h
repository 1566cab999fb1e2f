// One AdamW optimizer step in place, with torch.optim.AdamW's semantics (decoupled weight decay,
// bias-corrected moments):
//
//   p -= lr * weight_decay * p
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g^2
//   p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
//
// param, grad, m, v: f32, one shape (any), contiguous, on one device; param, m and v (the
// moments, zero before the first step) are updated in place, grad is read and may not alias
// them. step: t, the 1-based number of this step. Hyperparameters are doubles as in PyTorch;
// the per-step scalars are computed in double and the elementwise update runs in f32.
#pragma once

#include <cstdint>
#include <span>

#include "core/tensor.h"

namespace retune::ops {

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                int64_t step, const AdamWOptions& options);

// One parameter tensor of adamw_steps, with its own step number and weight decay.
struct AdamWTensors {
  Tensor param, grad, m, v;
  int64_t step;
  double weight_decay;
};

// adamw_step for each of `tensors` (options.weight_decay is replaced by each one's), with the
// same results. On a GPU, up to cuda::kAdamWTensorsPerLaunch tensors share one kernel launch
// (an optimizer's hundreds of adapter tensors would otherwise be hundreds of small launches).
void adamw_steps(std::span<const AdamWTensors> tensors, const AdamWOptions& options);

}  // namespace retune::ops
