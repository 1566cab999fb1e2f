// Elementwise kernels over many arrays at once (an optimizer's hundreds of adapter tensors):
// the arrays go to the kernel in batches passed by value as its argument, one launch per batch,
// block (x, i) of a launch working on array i of its batch. Built only with RETUNE_CUDA.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

constexpr int kBatchThreads = 256;
constexpr int64_t kMaxBlocksPerArray = 1024;

// The blocks a launch gives each array when its largest holds n elements; they are also the blocks
// that hold elements of an n-element array in any launch.
inline int64_t blocks_per_array(int64_t n) {
  return std::min<int64_t>(blocks_for(n, kBatchThreads), kMaxBlocksPerArray);
}

// kCount items (each with an element count n), as one kernel argument.
template <typename Item, int kCount>
struct ItemBatch {
  Item items[kCount];
  static_assert(sizeof(Item) * kCount <= 4096, "a kernel argument holds at most 4 KiB");
};

// The element indices of array blockIdx.y that this thread handles, in order: f(i) for each.
template <typename F>
__device__ void for_each_element(int64_t n, F f) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    f(i);
  }
}

// kernel<<<(blocks for the largest n, up to kMaxBlocksPerArray) x (items), kBatchThreads>>>(batch)
// for each run of up to kCount of `items`; checks each launch, naming `what`.
template <int kCount, typename Item, typename Kernel>
void launch_in_batches(std::span<const Item> items, Kernel kernel, const char* what) {
  for (size_t first = 0; first < items.size(); first += kCount) {
    const size_t count = std::min<size_t>(kCount, items.size() - first);
    ItemBatch<Item, kCount> batch{};
    int64_t largest = 0;
    for (size_t i = 0; i < count; ++i) {
      batch.items[i] = items[first + i];
      largest = std::max(largest, items[first + i].n);
    }
    if (largest == 0) continue;
    const dim3 grid(static_cast<unsigned>(blocks_per_array(largest)), static_cast<unsigned>(count));
    kernel<<<grid, kBatchThreads, 0, stream()>>>(batch);
    check_launch(what);
  }
}

}  // namespace retune::ops::cuda
