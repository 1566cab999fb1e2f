// The CUDA kernels of ops/column_scale.h, on device pointers of the current device (as
// ops/cpu/column_scale.h's); the optional arrays may be null.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

void scale_columns(const float* x, const float* scale, const float* shift, const float* subtract,
                   float* out, int64_t N, int64_t C, bool accumulate);

// Deterministic column sums (column_sums.cuh): fixed chunks of rows, then the chunks in order.
void add_column_products(const float* a, const float* b, const float* divisor, int64_t N, int64_t C,
                         float* grad);

void scale_linear_output(float* z, const float* bias, const float* scale, const float* shift,
                         float* kept, int64_t N, int64_t C);

}  // namespace retune::ops::cuda
