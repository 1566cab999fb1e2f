// The CPU kernels of ops/clip_grad_norm.h.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// Sum of x[i]^2 over n elements, in double: fixed blocks summed in parallel, then the blocks'
// sums in order, so the result does not depend on the thread count.
double sum_of_squares(const float* x, int64_t n);

// x[i] *= factor over n elements.
void scale_in_place(float* x, int64_t n, float factor);

}  // namespace retune::ops::cpu
