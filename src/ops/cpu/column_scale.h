// The CPU kernels of ops/column_scale.h on raw pointers; the optional arrays may be null.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

void scale_columns(const float* x, const float* scale, const float* shift, const float* subtract,
                   float* out, int64_t N, int64_t C, bool accumulate);

// Each block of 64 columns by one thread, over the rows in order, in double.
void add_column_products(const float* a, const float* b, const float* divisor, int64_t N, int64_t C,
                         float* grad);

void scale_linear_output(float* z, const float* bias, const float* scale, const float* shift,
                         float* kept, int64_t N, int64_t C);

}  // namespace retune::ops::cpu
