// The GPU's additions (ops/add.h), built with RETUNE_CUDA: device pointers, contiguous f32 (add's
// arrays f32 or bf16 each, as their dtypes say).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// out[i] = a[i] + b[i] for i < n; out may be a or b.
void add_forward(const void* a, DType a_dtype, const void* b, DType b_dtype, void* out,
                 DType out_dtype, int64_t n);
// y[n, o] += bias[o] for y [N, O].
void bias_add_forward(float* y, const float* bias, int64_t N, int64_t O);
// dbias[o] += sum over n of dy[n, o], deterministically in fixed chunks of rows
// (ops/cuda/column_sums.cuh).
void bias_add_backward(const float* dy, float* dbias, int64_t N, int64_t O);

}  // namespace retune::ops::cuda
