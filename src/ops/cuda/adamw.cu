#include "ops/cuda/adamw.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void adamw_kernel(float* param, const float* grad, float* m, float* v, int64_t n,
                             cpu::AdamWScalars s) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = grad[i];
    const float mi = s.beta1 * m[i] + s.one_minus_beta1 * g;
    const float vi = s.beta2 * v[i] + s.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) / s.bias_correction2_sqrt + s.eps;
    param[i] = param[i] * s.decay - s.step_size * (mi / denom);
  }
}

}  // namespace

void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n,
                const cpu::AdamWScalars& scalars) {
  if (n == 0) return;
  adamw_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(param, grad, m, v, n, scalars);
  check_launch("adamw_step");
}

}  // namespace retune::ops::cuda
