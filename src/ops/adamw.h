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

}  // namespace retune::ops
