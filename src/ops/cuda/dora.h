// The CUDA kernels of ops/dora.h, on device pointers of the current device (as ops/cpu/dora.h's).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// One block per output row, its squares summed in double.
void dora_norm_scale(const void* weight, DType dtype, int64_t row_stride, int64_t col_stride,
                     const float* delta, const float* magnitude, int64_t O, int64_t I, float* norm,
                     float* scale);

}  // namespace retune::ops::cuda
