// The CUDA kernels of ops/clip_grad_norm.h, on device pointers of the current device. Both take
// every gradient at once and launch once per batch of arrays (ops/cuda/tensor_batches.cuh).
#pragma once

#include <cstdint>
#include <span>

namespace retune::ops::cuda {

// Sum of x^2 over every element of the arrays (arrays[k] holds sizes[k] floats), in double,
// deterministically: each array is summed by fixed blocks into its own partial sums, which one
// block then adds in a fixed order. Waits for the total (reads it back to the host).
double sum_of_squares(std::span<const float* const> arrays, std::span<const int64_t> sizes);

// x[i] *= factor over every element of the arrays.
void scale_in_place(std::span<float* const> arrays, std::span<const int64_t> sizes, float factor);

}  // namespace retune::ops::cuda
