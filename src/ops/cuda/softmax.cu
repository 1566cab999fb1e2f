#include "ops/cuda/launch.cuh"
#include "ops/cuda/row_reduce.cuh"
#include "ops/cuda/softmax.h"

namespace retune::ops::cuda {

namespace {

// y holds exp(x - max) until the row's sum is known; each thread rescales the entries it wrote.
__global__ void softmax_forward_kernel(const float* x, int64_t N, int64_t C, float* y) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* xn = x + n * C;
    float* yn = y + n * C;
    float max = -INFINITY;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) max = fmaxf(max, xn[c]);
    max = block_max(max);
    float sum = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const float e = expf(xn[c] - max);
      yn[c] = e;
      sum += e;
    }
    const float inv_sum = 1.0f / block_sum(sum);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) yn[c] *= inv_sum;
  }
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, int64_t N, int64_t C,
                                        float* dx) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* yn = y + n * C;
    const float* dyn = dy + n * C;
    float* dxn = dx + n * C;
    float dot = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) dot += dyn[c] * yn[c];
    dot = block_sum(dot);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) dxn[c] = yn[c] * (dyn[c] - dot);
  }
}

}  // namespace

void softmax_forward(const float* x, int64_t N, int64_t C, float* y) {
  if (N == 0 || C == 0) return;
  softmax_forward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(x, N, C, y);
  check_launch("softmax_forward");
}

void softmax_backward(const float* y, const float* dy, int64_t N, int64_t C, float* dx) {
  if (N == 0 || C == 0) return;
  softmax_backward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(y, dy, N, C, dx);
  check_launch("softmax_backward");
}

}  // namespace retune::ops::cuda
