// The CPU's attention kernels (ops/attention.h), flash-attention style: the scores are formed
// for one tile of query rows at a time ([tile, keys] per thread, never [T, T]), only over the
// keys the tile can see (up to its last query; from the earliest document start among its
// queries), with single-threaded OpenBLAS sgemms inside OpenMP loops. Deterministic for any
// thread count: every output element is computed by one thread in a fixed order.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// q [B, T, Hq, D], k and v [B, T, Hkv, D], doc_ids [B, T] (null: one document per row), all
// contiguous; query head h reads kv head h / (Hq / Hkv).
struct AttentionInputs {
  int64_t batch, tokens, q_heads, kv_heads, head_dim;
  const float* q;
  const float* k;
  const float* v;
  const int32_t* doc_ids;
  float scale;
};

// out [B, T, Hq, D] and lse [B, Hq, T], overwritten. Parallel over (b, query head, tile).
void attention_forward(const AttentionInputs& in, float* out, float* lse);

// dq [B, T, Hq, D], dk and dv [B, T, Hkv, D], overwritten; a null one is skipped. Parallel over
// (b, kv head): the query heads of a group and their tiles run in order on one thread, which
// alone accumulates that kv head's dk and dv.
void attention_backward(const AttentionInputs& in, const float* dout, const float* out,
                        const float* lse, float* dq, float* dk, float* dv);

}  // namespace retune::ops::cpu
