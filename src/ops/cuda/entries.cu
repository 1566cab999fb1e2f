#include "ops/cuda/element_types.cuh"
#include "ops/cuda/entries.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

// f(j) for every j < k, the grid striding.
template <typename F>
__device__ void for_each_entry(int64_t k, F f) {
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; j < k;
       j += static_cast<int64_t>(gridDim.x) * kThreads) {
    f(j);
  }
}

__global__ void gather_kernel(const float* source, const int64_t* indices, int64_t k, float* out) {
  for_each_entry(k, [&](int64_t j) { out[j] = source[indices[j]]; });
}

__global__ void scatter_kernel(float* target, const int64_t* indices, int64_t k,
                               const float* values) {
  for_each_entry(k, [&](int64_t j) { target[indices[j]] = values[j]; });
}

}  // namespace

void gather_entries(const float* source, const int64_t* indices, int64_t k, float* out) {
  if (k == 0) return;
  gather_kernel<<<elementwise_blocks(k, false, kThreads), kThreads, 0, stream()>>>(source, indices,
                                                                                   k, out);
  check_launch("gather_entries");
}

void scatter_entries(float* target, const int64_t* indices, int64_t k, const float* values) {
  if (k == 0) return;
  scatter_kernel<<<elementwise_blocks(k, false, kThreads), kThreads, 0, stream()>>>(target, indices,
                                                                                    k, values);
  check_launch("scatter_entries");
}

}  // namespace retune::ops::cuda
