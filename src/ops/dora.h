// The per-output norms of DoRA (adapters/lora_linear.h: Liu et al. 2024, PEFT's
// DoraLinearLayer) on any device, for a linear of O outputs and I inputs (its per-column scales of
// rows and the magnitude's gradient are ops/column_scale.h's). Everything f32 but the frozen
// weight; outputs are caller-allocated and may not alias the inputs.
//
// dora_norm_scale: the weight's norm per output row after the LoRA update, and DoRA's scale
//   norm[o]  = ||weight[o, :] + delta[o, :]||      (squares summed in double, on a GPU too)
//   scale[o] = magnitude[o] / norm[o]
//   weight [O, I]: f32, bf16 or f16 with unit stride along one dim (GPT-2's Conv1D weights are
//   a transposed view); delta f32 [O, I] contiguous (s B A); magnitude, norm, scale f32 [O].

#pragma once

#include "core/tensor.h"

namespace retune::ops {

void dora_norm_scale(const Tensor& weight, const Tensor& delta, const Tensor& magnitude,
                     const Tensor& norm, const Tensor& scale);

}  // namespace retune::ops
