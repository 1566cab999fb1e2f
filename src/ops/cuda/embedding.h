// The CUDA embedding kernels (see ops/embedding.h), on device pointers. The ids are not checked
// on the host (that would copy them back every step; the data pipeline validates them against
// the vocabulary): an id outside [0, V) gives a row of zeros in the forward and adds nothing in
// the backward.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// out[n, :] = table[ids[n], :] as f32; table is [V, C] of table_dtype (f32, or bf16 / f16 bits).
void embedding_forward(const int32_t* ids, const void* table, DType table_dtype, int64_t N,
                       int64_t V, int64_t C, float* out);

// dtable[ids[n], :] += dout[n, :], by atomic adds: a repeated id's sum runs in no fixed order,
// so unlike the CPU's it may differ in the last bits from run to run.
void embedding_backward(const int32_t* ids, const float* dout, int64_t N, int64_t V, int64_t C,
                        float* dtable);

}  // namespace retune::ops::cuda
