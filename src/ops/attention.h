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
