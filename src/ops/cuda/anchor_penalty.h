// The CUDA kernels of ops/anchor_penalty.h, on device pointers of the current device: every
// tensor at once, launched once per batch of arrays (ops/cuda/tensor_batches.cuh).
#pragma once

#include <cstdint>
#include <span>

namespace retune::ops::cuda {

// One trained tensor of n elements; fisher may be null (L2-SP alone).
struct AnchoredArray {
  const float* value;
  const float* start;
  const float* fisher;
  float* grad;
  int64_t n;
};

// grad += w (value - start) over every array, w = l2sp + ewc * fisher; returns the sum of
// w (value - start)^2 over every element (not halved), in double, deterministically (each
// array's fixed blocks, then partial_sums.h's fixed order). Waits for it (reads it back).
double anchor_penalty(std::span<const AnchoredArray> arrays, double l2sp, double ewc);

// A gradient and the sum of its squares, n elements each.
struct SquaredArray {
  const float* grad;
  float* sum;
  int64_t n;
};

// sum += scale * grad^2 over every pair.
void add_squares(std::span<const SquaredArray> arrays, float scale);

}  // namespace retune::ops::cuda
