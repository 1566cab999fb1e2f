// One SGD step in place, with torch.optim.SGD's semantics (momentum, dampening, Nesterov,
// L2 weight decay added to the gradient):
//
//   g = grad + weight_decay * p
//   if momentum != 0:
//     buf = g                                          on the first step
//     buf = momentum * buf + (1 - dampening) * g       afterwards
//     g   = nesterov ? g + momentum * buf : buf
//   p -= lr * g
//
// param, grad, momentum_buffer: f32, one shape (any), contiguous, on one device. param and the
// buffer are updated in place; grad is read and may not alias them. The buffer may be
// undefined when momentum is 0 (it is not used); its contents are not read on the first step.
// Nesterov needs momentum > 0 and dampening 0, as in PyTorch. Hyperparameters are doubles as
// in PyTorch; the update runs in f32.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

struct SgdOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              bool first_step, const SgdOptions& options);

}  // namespace retune::ops
