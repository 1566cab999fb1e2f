// The CUDA kernels of ops/clip_grad_norm.h, on device pointers of the current device.
#pragma once

#include <cstdint>
#include <span>

namespace retune::ops::cuda {

// Sum of x^2 over every element of the arrays (arrays[k] holds sizes[k] floats), in double,
// deterministically: each array is summed in fixed blocks into a buffer of partial sums, which
// one block then adds in a fixed order. Waits for the total (reads it back to the host).
double sum_of_squares(std::span<const float* const> arrays, std::span<const int64_t> sizes);

// x[i] *= factor over n elements.
void scale_in_place(float* x, int64_t n, float factor);

}  // namespace retune::ops::cuda
