// Steps shared by the architectures' inference forward passes (model/*_model.cpp).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "model/kv_cache.h"

namespace retune::model {

// out[n, :] += bias for every row of out f32 [N, O]; bias f32 [O].
void add_bias(const Tensor& out, const Tensor& bias);

// The positions of a forward: `positions` (i32 [B, T], contiguous copy) when defined, else
// past .. past + T - 1 in every row. Checks input_ids is i32 [B, T] and positions matches it;
// `model` names the caller in the errors ("LlamaModel").
Tensor checked_positions(const char* model, const Tensor& input_ids, const Tensor& positions,
                         int64_t past);

// The checks at the start of an inference forward of `model` ("LlamaModel") whose weights are
// on `device`: input_ids there, and the cache, when not null, there with room for the T tokens.
// Returns checked_positions(model, input_ids, positions, past), past the cache's length (else 0).
Tensor forward_positions(const char* model, const Tensor& input_ids, const Tensor& positions,
                         const KvCache* cache, Device device);

// Causal attention of q [B, T, Hq, D] over k, v [B, T, Hkv, D] into out [B, T, Hq, D]; with a
// cache, k and v are first stored into `layer`'s rows and q attends to every cached token.
void attend(const Tensor& q, const Tensor& k, const Tensor& v, int64_t layer, float scale,
            KvCache* cache, const Tensor& out);

// The output head: hidden f32 [B, T, C] x lm_head [V, C]^T -> new f32 [B, T, V]; lm_head is f32,
// bf16 or f16 (the matmul converts a 16-bit head a block of rows at a time).
Tensor head_logits(const char* model, const Tensor& hidden, const Tensor& lm_head);

}  // namespace retune::model
