// The per-output work of DoRA (adapters/lora_linear.h: Liu et al. 2024, PEFT's DoraLinearLayer)
// on any device, for a linear of O outputs and I inputs over N rows. Everything f32 but the
// frozen weight; outputs are caller-allocated and may not alias the inputs.
//
// dora_norm_scale: the weight's norm per output row after the LoRA update, and DoRA's scale
//   norm[o]  = ||weight[o, :] + delta[o, :]||      (squares summed in double, on a GPU too)
//   scale[o] = magnitude[o] / norm[o]
//   weight [O, I]: f32, bf16 or f16 with unit stride along one dim (GPT-2's Conv1D weights are
//   a transposed view); delta f32 [O, I] contiguous (s B A); magnitude, norm, scale f32 [O].
//
// dora_scale_columns: out[n, o] = (accumulate ? out[n, o] : 0) + scale[o] x[n, o]
//                                  - (subtract defined ? subtract[n, o] : 0)
//   x, subtract, out [N, O] contiguous; scale [O]. DoRA's output c ⊙ term (or, with dropout,
//   z + c ⊙ term - d(x) W^T), and its gradients c ⊙ dz and (c - 1) ⊙ dz.
//
// dora_magnitude_grad: magnitude_grad[o] += sum over n of dz[n, o] term[n, o] / norm[o]
//   dz, term [N, O] contiguous; norm, magnitude_grad [O]. Summed in a fixed order: the same bits
//   for any thread count.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void dora_norm_scale(const Tensor& weight, const Tensor& delta, const Tensor& magnitude,
                     const Tensor& norm, const Tensor& scale);

void dora_scale_columns(const Tensor& x, const Tensor& scale, const Tensor& subtract,
                        const Tensor& out, bool accumulate);

void dora_magnitude_grad(const Tensor& dz, const Tensor& term, const Tensor& norm,
                         const Tensor& magnitude_grad);

}  // namespace retune::ops
