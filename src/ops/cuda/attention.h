// The GPU's attention kernels (ops/attention.h), flash-attention style: a block takes a
// tile of query rows (or, for dk and dv, of keys) and walks the tiles of the other side with an
// online softmax, in shared memory and registers, never forming the [T, T] scores. Key tiles
// after a query tile's last query are never visited; with documents, tiles whose queries see
// none of their keys are skipped, and every score is masked by document. Deterministic: every
// output element is written by one thread, which sums in a fixed order (no atomics). Head dims
// up to 128 run on the tensor cores (bf16 operands, f32 accumulation and softmax; see
// attention_tensor_cores.cuh), larger ones in f32. Built with RETUNE_CUDA.
#pragma once

#include <cstdint>

#include "ops/cpu/attention.h"

namespace retune::ops::cuda {

// The largest head dim D the kernels take (the public ops check it).
constexpr int64_t kAttentionMaxHeadDim = 256;

// As cpu::attention_forward, with every pointer of `in` and out and lse (null: not wanted) on
// the current device. Training (past = 0, S = T, doc_ids optional) and a KV cache (past >= 0,
// S >= past + T, no doc_ids).
void attention_forward(const cpu::AttentionInputs& in, float* out, float* lse);

// As cpu::attention_backward (past = 0 and S = T only), every pointer on the current device:
// dq [B, T, Hq, D], dk and dv [B, T, Hkv, D] overwritten, a null one skipped. Three kernels:
// delta = rowsum(dout * out); dk and dv per (b, kv head, key tile) over the query tiles of its
// query heads; dq per (b, query head, query tile) over its key tiles.
void attention_backward(const cpu::AttentionInputs& in, const float* dout, const float* out,
                        const float* lse, float* dq, float* dk, float* dv);

}  // namespace retune::ops::cuda
