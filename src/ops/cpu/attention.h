// The CPU's attention kernels (ops/attention.h), flash-attention style: the scores are formed
// for one tile of query rows at a time ([tile, keys] per thread, never [T, T]), only over the
// keys the tile can see (up to its last query; from the earliest document start among its
// queries), with single-threaded OpenBLAS sgemms inside OpenMP loops. Deterministic for any
// thread count: every output element is computed by one thread in a fixed order.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// q [B, T, Hq, D], k and v [B, S, Hkv, D], doc_ids [B, T] (null: one document per row), all
// contiguous; query head h reads kv head h / (Hq / Hkv). Query i sits at position past + i and
// sees the keys 0..past + i (S >= past + T; the rows after that are not read). The training
// forward has past = 0 and S = T; a KV cache has past > 0 and no doc_ids.
struct AttentionInputs {
  int64_t batch, tokens, q_heads, kv_heads, head_dim;
  const float* q;
  const float* k;
  const float* v;
  const int32_t* doc_ids;
  float scale;
  int64_t kv_tokens;  // S, the rows of k and v per batch row
  int64_t past;
};

// out [B, T, Hq, D] and lse [B, Hq, T] (null: not wanted), overwritten. Parallel over
// (b, query head, tile).
void attention_forward(const AttentionInputs& in, float* out, float* lse);

// dq [B, T, Hq, D], dk and dv [B, T, Hkv, D], overwritten; a null one is skipped. For past = 0
// and S = T only. Parallel over (b, query head): each query head's tiles run in order on one
// thread, which accumulates that head's share of dk and dv in scratch [B, Hq, T, D]; then each
// kv head's rows are the sum of its query heads' shares, in head order.
void attention_backward(const AttentionInputs& in, const float* dout, const float* out,
                        const float* lse, float* dq, float* dk, float* dv);

}  // namespace retune::ops::cpu
