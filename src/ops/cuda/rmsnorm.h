// The CUDA RMSNorm kernels (see ops/rmsnorm.h), on device pointers. x, dout, out, dx: [N, C];
// weight, dweight: [C]; rstd: [N].
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// One block per row; out is f32 or bf16 (out_dtype).
void rmsnorm_forward(const float* x, const float* weight, int64_t N, int64_t C, float eps,
                     void* out, DType out_dtype, float* rstd);

// dx (overwritten, or += when accumulate_dx; one block per row) and dweight (+=; a deterministic
// sum over rows in fixed chunks, ops/cuda/column_sums.cuh); either may be null.
void rmsnorm_backward(const float* dout, const float* x, const float* weight, const float* rstd,
                      int64_t N, int64_t C, float* dx, float* dweight, bool accumulate_dx);

}  // namespace retune::ops::cuda
