#include "core/rng.h"
#include "ops/cuda/dropout.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void dropout_kernel(const float* in, int64_t n, float p, float scale, uint64_t seed,
                               uint64_t offset, float* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const bool keep = retune::counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    out[i] = keep ? in[i] * scale : 0.0f;
  }
}

}  // namespace

void dropout(const float* in, int64_t n, float p, uint64_t seed, uint64_t offset, float* out) {
  if (n == 0) return;
  const size_t nbytes = static_cast<size_t>(n) * sizeof(float);
  if (p == 0.0f) {
    if (out != in) {
      retune::cuda::check(cudaMemcpyAsync(out, in, nbytes, cudaMemcpyDeviceToDevice, stream()),
                          "dropout (copy)");
    }
    return;
  }
  if (p == 1.0f) {
    retune::cuda::zero_bytes(out, nbytes);
    return;
  }
  const float scale = 1.0f / (1.0f - p);
  dropout_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(in, n, p, scale, seed, offset,
                                                                     out);
  check_launch("dropout");
}

}  // namespace retune::ops::cuda
