// The CPU kernels of ops/dora.h on raw pointers.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cpu {

// weight: element (o, i) at weight + o * row_stride + i * col_stride, of `dtype` (f32, bf16 or
// f16); delta [O, I] contiguous. One row per thread, summed in double.
void dora_norm_scale(const void* weight, DType dtype, int64_t row_stride, int64_t col_stride,
                     const float* delta, const float* magnitude, int64_t O, int64_t I, float* norm,
                     float* scale);

}  // namespace retune::ops::cpu
