// Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_ with the L2 norm:
//
//   total = sqrt(sum of g^2 over every element of every gradient)
//   coef  = max_norm / (total + 1e-6)
//   if max_norm > 0 and coef < 1 (the norm exceeds max_norm): every g *= coef
//
// Returns total. The sum is accumulated in double in a fixed order (tensors in order, each in
// fixed blocks), so the result does not depend on the thread count. max_norm <= 0 only measures.
// If total is not finite (an inf or NaN gradient) no gradient is touched and the non-finite
// total is returned: the trainer skips the step.
//
// grads: f32, contiguous, writable, all on one device (the CPU or a GPU), any shapes; undefined
// tensors (frozen parameters) are skipped. The gradients are scaled in place. On a GPU the sum
// is as deterministic (fixed blocks, summed in a fixed order) and the total is read back.
#pragma once

#include <span>

#include "core/tensor.h"

namespace retune::ops {

double clip_grad_norm(std::span<const Tensor> grads, double max_norm);

}  // namespace retune::ops
