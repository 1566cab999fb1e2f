#include "ops/cuda/dropout.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

// core/rng.h's mix64 and counter_uniform on the device; they must stay identical to those.
__device__ uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

__device__ float counter_uniform(uint64_t seed, uint64_t index) {
  const uint64_t bits = mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ index);
  return static_cast<float>(bits >> 40) * 0x1p-24f;
}

__global__ void dropout_kernel(const float* in, int64_t n, float p, float scale, uint64_t seed,
                               uint64_t offset, float* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const bool keep = counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
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
