#include <vector>

#include "ops/cuda/anchor_penalty.h"
#include "ops/cuda/partial_sums.h"
#include "ops/cuda/row_reduce.cuh"
#include "ops/cuda/tensor_batches.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kPenaltiesPerLaunch = 48;  // 80-byte items: a kernel argument holds at most 4 KiB
constexpr int kSquaresPerLaunch = 128;

// An anchored array, the penalty's weights, and where its blocks' partial sums go: partial[x]
// for each block x < blocks = blocks_per_array(n), those that hold its elements.
struct PenaltyItem {
  AnchoredArray a;
  int64_t n;  // a.n, where launch_in_batches reads it
  double* partial;
  int64_t blocks;
  double l2sp;
  double ewc;
};

struct SquaresItem {
  const float* grad;
  float* sum;
  int64_t n;
  float scale;
};

__global__ void penalty_kernel(ItemBatch<PenaltyItem, kPenaltiesPerLaunch> batch) {
  const PenaltyItem& item = batch.items[blockIdx.y];
  const AnchoredArray& a = item.a;
  double sum = 0;
  for_each_element(a.n, [&](int64_t i) {
    const double d = static_cast<double>(a.value[i]) - static_cast<double>(a.start[i]);
    const double w = item.l2sp + (a.fisher ? item.ewc * static_cast<double>(a.fisher[i]) : 0.0);
    a.grad[i] += static_cast<float>(w * d);
    sum += w * d * d;
  });
  sum = block_sum(sum);
  if (threadIdx.x == 0 && blockIdx.x < item.blocks) item.partial[blockIdx.x] = sum;
}

__global__ void squares_kernel(ItemBatch<SquaresItem, kSquaresPerLaunch> batch) {
  const SquaresItem& a = batch.items[blockIdx.y];
  for_each_element(a.n, [&](int64_t i) { a.sum[i] += a.scale * (a.grad[i] * a.grad[i]); });
}

}  // namespace

double anchor_penalty(std::span<const AnchoredArray> arrays, double l2sp, double ewc) {
  int64_t slots = 0;
  for (const AnchoredArray& a : arrays) slots += a.n > 0 ? blocks_per_array(a.n) : 0;
  if (slots == 0) return 0;
  const PartialSums sums(slots);
  std::vector<PenaltyItem> items;
  int64_t at = 0;
  for (const AnchoredArray& a : arrays) {
    if (a.n == 0) continue;
    items.push_back({a, a.n, sums.slots() + at, blocks_per_array(a.n), l2sp, ewc});
    at += items.back().blocks;
  }
  launch_in_batches<kPenaltiesPerLaunch>(std::span<const PenaltyItem>(items), penalty_kernel,
                                         "anchor_penalty");
  return sums.total();
}

void add_squares(std::span<const SquaredArray> arrays, float scale) {
  std::vector<SquaresItem> items;
  for (const SquaredArray& a : arrays) items.push_back({a.grad, a.sum, a.n, scale});
  launch_in_batches<kSquaresPerLaunch>(std::span<const SquaresItem>(items), squares_kernel,
                                       "add_squares");
}

}  // namespace retune::ops::cuda
