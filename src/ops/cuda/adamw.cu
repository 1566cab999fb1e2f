#include <algorithm>

#include "ops/cuda/adamw.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocksPerTensor = 1024;

struct AdamWBatch {
  AdamWTensor tensors[kAdamWTensorsPerLaunch];
};
static_assert(sizeof(AdamWBatch) <= 4096, "a kernel argument holds at most 4 KiB");

// Block (x, t) updates elements x, x + gridDim.x, .. (in blocks of kThreads) of tensor t.
__global__ void adamw_kernel(AdamWBatch batch) {
  const AdamWTensor& t = batch.tensors[blockIdx.y];
  const cpu::AdamWScalars& s = t.scalars;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < t.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = t.grad[i];
    const float mi = s.beta1 * t.m[i] + s.one_minus_beta1 * g;
    const float vi = s.beta2 * t.v[i] + s.one_minus_beta2 * g * g;
    t.m[i] = mi;
    t.v[i] = vi;
    const float denom = sqrtf(vi) / s.bias_correction2_sqrt + s.eps;
    t.param[i] = t.param[i] * s.decay - s.step_size * (mi / denom);
  }
}

}  // namespace

void adamw_steps(std::span<const AdamWTensor> tensors) {
  for (size_t first = 0; first < tensors.size(); first += kAdamWTensorsPerLaunch) {
    const size_t count = std::min<size_t>(kAdamWTensorsPerLaunch, tensors.size() - first);
    AdamWBatch batch{};
    int64_t largest = 0;
    for (size_t i = 0; i < count; ++i) {
      batch.tensors[i] = tensors[first + i];
      largest = std::max(largest, tensors[first + i].n);
    }
    if (largest == 0) continue;
    const dim3 grid(static_cast<unsigned>(
                        std::min<int64_t>(blocks_for(largest, kThreads), kMaxBlocksPerTensor)),
                    static_cast<unsigned>(count));
    adamw_kernel<<<grid, kThreads, 0, stream()>>>(batch);
    check_launch("adamw_step");
  }
}

}  // namespace retune::ops::cuda
