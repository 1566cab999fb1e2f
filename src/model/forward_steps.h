// Steps shared by the architectures' inference forward passes (model/*_model.cpp).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune::model {

// out[n, :] += bias for every row of out f32 [N, O]; bias f32 [O].
void add_bias(const Tensor& out, const Tensor& bias);

// The positions of a forward: `positions` (i32 [B, T], contiguous copy) when defined, else
// 0..T-1 in every row. Checks input_ids is i32 [B, T] and positions matches it; `model` names
// the caller in the errors ("LlamaModel").
Tensor checked_positions(const char* model, const Tensor& input_ids, const Tensor& positions);

// The output head: hidden f32 [B, T, C] x lm_head [V, C]^T -> new f32 [B, T, V].
Tensor head_logits(const char* model, const Tensor& hidden, const Tensor& lm_head);

}  // namespace retune::model
