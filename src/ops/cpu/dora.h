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

// subtract may be null.
void dora_scale_columns(const float* x, const float* scale, const float* subtract, float* out,
                        int64_t N, int64_t O, bool accumulate);

// Each block of 64 columns by one thread, over the rows in order, in double.
void dora_magnitude_grad(const float* dz, const float* term, const float* norm, int64_t N,
                         int64_t O, float* magnitude_grad);

}  // namespace retune::ops::cpu
