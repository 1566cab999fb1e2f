#include "ops/cuda/launch.cuh"
#include "ops/cuda/sgd.h"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void sgd_kernel(float* param, const float* grad, float* buffer, int64_t n,
                           cpu::SgdScalars s) {
  const bool momentum = s.momentum != 0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float g = grad[i];
    if (s.weight_decay != 0) g += s.weight_decay * param[i];
    if (momentum) {
      const float b = s.first_step ? g : s.momentum * buffer[i] + s.one_minus_dampening * g;
      buffer[i] = b;
      g = s.nesterov ? g + s.momentum * b : b;
    }
    param[i] -= s.lr * g;
  }
}

}  // namespace

void sgd_step(float* param, const float* grad, float* buffer, int64_t n,
              const cpu::SgdScalars& scalars) {
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(param, grad, buffer, n, scalars);
  check_launch("sgd_step");
}

}  // namespace retune::ops::cuda
