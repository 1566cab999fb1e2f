// The CPU's embedding kernels (see ops/embedding.h). Ids are already checked to be in [0, V).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cpu {

// out[n, :] = table[ids[n], :] as f32; table is [V, C] of table_dtype (f32, or bf16 / f16 bits).
// Parallel over tokens.
void embedding_forward(const int32_t* ids, const void* table, DType table_dtype, int64_t N,
                       int64_t C, float* out);

// dtable[ids[n], :] += dout[n, :]. Parallel over blocks of columns (cpu/column_blocks.h), so
// a repeated id never races and every sum runs in token order.
void embedding_backward(const int32_t* ids, const float* dout, int64_t N, int64_t C, float* dtable);

}  // namespace retune::ops::cpu
