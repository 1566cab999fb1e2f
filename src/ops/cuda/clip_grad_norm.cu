#include <vector>

#include "ops/cuda/clip_grad_norm.h"
#include "ops/cuda/partial_sums.h"
#include "ops/cuda/row_reduce.cuh"
#include "ops/cuda/tensor_batches.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kArraysPerLaunch = 128;

// An array whose squares are summed, and where its blocks' partial sums go: partial[x] for each
// block x < blocks = blocks_per_array(n), those that hold its elements.
struct SquaresArray {
  const float* data;
  int64_t n;
  double* partial;
  int64_t blocks;
};

struct ScaledArray {
  float* data;
  int64_t n;
  float factor;
};

__global__ void partial_sums_of_squares(ItemBatch<SquaresArray, kArraysPerLaunch> batch) {
  const SquaresArray& a = batch.items[blockIdx.y];
  double sum = 0;
  for_each_element(a.n, [&](int64_t i) {
    const double value = a.data[i];
    sum += value * value;
  });
  sum = block_sum(sum);
  if (threadIdx.x == 0 && blockIdx.x < a.blocks) a.partial[blockIdx.x] = sum;
}

__global__ void scale_kernel(ItemBatch<ScaledArray, kArraysPerLaunch> batch) {
  const ScaledArray& a = batch.items[blockIdx.y];
  for_each_element(a.n, [&](int64_t i) { a.data[i] *= a.factor; });
}

}  // namespace

double sum_of_squares(std::span<const FloatArray> arrays) {
  int64_t slots = 0;
  for (const FloatArray& a : arrays) slots += a.n > 0 ? blocks_per_array(a.n) : 0;
  if (slots == 0) return 0;
  const PartialSums sums(slots);
  double* partial = sums.slots();
  std::vector<SquaresArray> items;
  int64_t at = 0;
  for (const FloatArray& a : arrays) {
    if (a.n == 0) continue;
    items.push_back({a.data, a.n, partial + at, blocks_per_array(a.n)});
    at += items.back().blocks;
  }
  launch_in_batches<kArraysPerLaunch>(std::span<const SquaresArray>(items), partial_sums_of_squares,
                                      "clip_grad_norm (sums of squares)");
  return sums.total();
}

void scale_in_place(std::span<const FloatArray> arrays, float factor) {
  std::vector<ScaledArray> items;
  for (const FloatArray& a : arrays) items.push_back({a.data, a.n, factor});
  launch_in_batches<kArraysPerLaunch>(std::span<const ScaledArray>(items), scale_kernel,
                                      "clip_grad_norm (scaling)");
}

}  // namespace retune::ops::cuda
