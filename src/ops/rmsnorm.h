// RMSNorm (Llama, Qwen), computed in f32 the way Hugging Face's LlamaRMSNorm does:
//
//   rstd[n]   = 1 / sqrt(mean_c(x[n, c]^2) + eps)
//   out[n, c] = weight[c] * (x[n, c] * rstd[n])
//
// x: [N, C], weight: [C], out: [N, C], rstd: [N] (saved for the backward). All f32 and
// contiguous, except that out may be bf16 (rounded once from the f32 value: a norm whose output
// feeds only matrix products, as a model's on a GPU); out and rstd are caller-allocated. C >= 1,
// eps >= 0.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void rmsnorm_forward(const Tensor& x, const Tensor& weight, const Tensor& out, const Tensor& rstd,
                     float eps);

// Gradients given dout [N, C] and the forward's rstd: dx [N, C] is overwritten (added to when
// accumulate_dx: a residual stream's gradient), dweight [C] accumulates (+=). Either may be
// undefined: that gradient is skipped.
void rmsnorm_backward(const Tensor& dout, const Tensor& x, const Tensor& weight, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dweight, bool accumulate_dx = false);

}  // namespace retune::ops
