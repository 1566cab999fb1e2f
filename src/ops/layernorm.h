// LayerNorm (GPT-2), with PyTorch's semantics (biased variance):
//
//   mean[n]   = mean_c(x[n, c])
//   rstd[n]   = 1 / sqrt(mean_c((x[n, c] - mean[n])^2) + eps)
//   out[n, c] = (x[n, c] - mean[n]) * rstd[n] * weight[c] + bias[c]
//
// x: [N, C], weight: [C], bias: [C], out: [N, C], mean and rstd: [N] (saved for the
// backward). All f32 and contiguous; out, mean and rstd are caller-allocated. C >= 1, eps >= 0.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void layernorm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                       const Tensor& mean, const Tensor& rstd, float eps);

// Gradients given dout [N, C] and the forward's mean and rstd: dx [N, C] is overwritten (added
// to when accumulate_dx: a residual stream's gradient), dweight [C] and dbias [C] accumulate
// (+=). Any of them may be undefined: it is skipped.
void layernorm_backward(const Tensor& dout, const Tensor& x, const Tensor& weight,
                        const Tensor& mean, const Tensor& rstd, const Tensor& dx,
                        const Tensor& dweight, const Tensor& dbias, bool accumulate_dx = false);

}  // namespace retune::ops
