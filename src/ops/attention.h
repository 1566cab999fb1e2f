// Causal self-attention with grouped-query heads and document masks.
//
// q:       [B, T, Hq, D]  f32, the layout linear projections produce (no transposes needed)
// k, v:    [B, T, Hkv, D] f32; Hq % Hkv == 0 and query head h reads kv head h / (Hq / Hkv)
//          (HF's repeat_kv; Hkv == Hq is plain multi-head, Hkv == 1 multi-query attention)
// doc_ids: [B, T] i32, or an undefined Tensor for one document per row. Token i attends to
//          token j iff j <= i and doc_ids[b, i] == doc_ids[b, j]: packed sequences never
//          attend across documents.
// scale:   multiplies the scores q.k (1 / sqrt(D) normally)
// out:     [B, T, Hq, D] f32 = softmax(scale q k^T, masked) v
// lse:     [B, Hq, T] f32, the log-sum-exp of each query row's scaled masked scores (saved for
//          the backward)
// All tensors contiguous; out and lse are caller-allocated, overwritten, and may not alias the
// inputs. The CPU kernel never forms the [T, T] scores: it works on tiles of query rows.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& doc_ids,
                       float scale, const Tensor& out, const Tensor& lse);

// Attention of T new tokens against a key/value cache, for generation (no backward):
// q:       [B, T, Hq, D] f32, the new tokens' queries, at positions past .. past + T - 1
// k_cache, v_cache: [B, S, Hkv, D] f32 with S >= past + T, whose rows [0, past + T) hold the
//          keys and values of every token so far (the new tokens' at rows past ..); later rows
//          are not read
// out:     [B, T, Hq, D] f32 = softmax(scale q k^T) v, query i seeing the keys 0 .. past + i
// All contiguous; out is caller-allocated and may not alias the inputs. With past = 0 and S = T
// this is attention_forward without documents.
void attention_cached_forward(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                              int64_t past, float scale, const Tensor& out);

// Gradients of attention given dout = dL/dout [B, T, Hq, D] and the forward's out and lse.
// dq [B, T, Hq, D], dk and dv [B, T, Hkv, D] are overwritten (activation gradients); any may
// be undefined, which skips it. They may not alias the other arguments.
struct AttentionGrads {
  Tensor dq;
  Tensor dk;
  Tensor dv;
};
void attention_backward(const Tensor& dout, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& doc_ids, float scale,
                        const AttentionGrads& grads);

}  // namespace retune::ops
