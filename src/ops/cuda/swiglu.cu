#include "ops/cuda/launch.cuh"
#include "ops/cuda/swiglu.h"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void swiglu_forward_kernel(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
  }
}

// With s = sigmoid(gate): silu = gate * s, silu' = s * (1 + gate * (1 - s)).
__global__ void swiglu_backward_kernel(const float* gate, const float* up, const float* dout,
                                       int64_t n, float* dgate, float* dup) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    const float s = 1.0f / (1.0f + expf(-g));
    if (dgate) dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
    if (dup) dup[i] = dout[i] * g * s;
  }
}

}  // namespace

void swiglu_forward(const float* gate, const float* up, int64_t n, float* out) {
  if (n == 0) return;
  swiglu_forward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(gate, up, n, out);
  check_launch("swiglu_forward");
}

void swiglu_backward(const float* gate, const float* up, const float* dout, int64_t n, float* dgate,
                     float* dup) {
  if (n == 0 || (!dgate && !dup)) return;
  swiglu_backward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(gate, up, dout, n,
                                                                             dgate, dup);
  check_launch("swiglu_backward");
}

}  // namespace retune::ops::cuda
