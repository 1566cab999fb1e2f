// The CUDA kernels of ops/clip_grad_norm.h, on device pointers of the current device. Both take
// every gradient at once and launch once per batch of arrays (ops/cuda/tensor_batches.cuh).
#pragma once

#include <cstdint>
#include <span>

namespace retune::ops::cuda {

// n floats on the device.
struct FloatArray {
  float* data;
  int64_t n;
};

// Sum of x^2 over every element of the arrays, in double, deterministically: each array is summed
// by fixed blocks into its own partial sums, which one block then adds in a fixed order. Waits
// for the total (reads it back to the host).
double sum_of_squares(std::span<const FloatArray> arrays);

// x[i] *= factor over every element of the arrays.
void scale_in_place(std::span<const FloatArray> arrays, float factor);

}  // namespace retune::ops::cuda
