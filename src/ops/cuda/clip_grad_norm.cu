#include <algorithm>

#include "ops/cuda/clip_grad_norm.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/row_reduce.cuh"
#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kElementsPerThread = 16;  // a block's share of a small array, at least
constexpr int64_t kMaxBlocks = 512;         // per array: bounds the partial sums

// Blocks that sum an array of n elements (the partial sums it adds to the buffer).
int64_t blocks_for_sum(int64_t n) {
  return std::clamp<int64_t>(
      (n + kThreads * kElementsPerThread - 1) / (kThreads * kElementsPerThread), 1, kMaxBlocks);
}

// partial[blockIdx.x] = sum of x^2 over the elements this block strides over, in double.
__global__ void partial_sums_of_squares(const float* x, int64_t n, double* partial) {
  double sum = 0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double value = x[i];
    sum += value * value;
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// *total = sum of partial[0, count), by one block.
__global__ void add_partial_sums(const double* partial, int64_t count, double* total) {
  double sum = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) sum += partial[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) *total = sum;
}

__global__ void scale_kernel(float* x, int64_t n, float factor) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    x[i] *= factor;
  }
}

}  // namespace

double sum_of_squares(std::span<const float* const> arrays, std::span<const int64_t> sizes) {
  int64_t partial_count = 0;
  for (size_t k = 0; k < arrays.size(); ++k) {
    if (sizes[k] > 0) partial_count += blocks_for_sum(sizes[k]);
  }
  if (partial_count == 0) return 0;
  // The partial sums, then the total.
  const Scratch<double> buffer(partial_count + 1);
  double* partial = buffer.data();
  int64_t at = 0;
  for (size_t k = 0; k < arrays.size(); ++k) {
    if (sizes[k] == 0) continue;
    const int64_t blocks = blocks_for_sum(sizes[k]);
    partial_sums_of_squares<<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(
        arrays[k], sizes[k], partial + at);
    check_launch("clip_grad_norm (sums of squares)");
    at += blocks;
  }
  double* total = partial + partial_count;
  add_partial_sums<<<1, kThreads, 0, stream()>>>(partial, partial_count, total);
  check_launch("clip_grad_norm (total)");
  double result = 0;
  retune::cuda::check(
      cudaMemcpyAsync(&result, total, sizeof(double), cudaMemcpyDeviceToHost, stream()),
      "clip_grad_norm (reading the total)");
  retune::cuda::synchronize();
  return result;
}

void scale_in_place(float* x, int64_t n, float factor) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(x, n, factor);
  check_launch("clip_grad_norm (scaling)");
}

}  // namespace retune::ops::cuda
