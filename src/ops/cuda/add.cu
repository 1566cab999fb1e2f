#include "ops/cuda/add.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 65535u * 4;

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = a[i] + b[i];
  }
}

__global__ void bias_kernel(float* y, const float* bias, int64_t N, int64_t O) {
  const int64_t count = N * O;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    y[i] += bias[i % O];
  }
}

__global__ void column_sum_kernel(const float* dy, float* dbias, int64_t N, int64_t O) {
  const int64_t o = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (o >= O) return;
  float sum = 0.0f;
  for (int64_t n = 0; n < N; ++n) sum += dy[n * O + o];
  dbias[o] += sum;
}

unsigned grid_for(int64_t n) {
  const unsigned blocks = blocks_for(n, kThreads);
  return blocks < kMaxBlocks ? blocks : kMaxBlocks;
}

}  // namespace

void add_forward(const float* a, const float* b, float* out, int64_t n) {
  if (n == 0) return;
  add_kernel<<<grid_for(n), kThreads, 0, stream()>>>(a, b, out, n);
  check_launch("add_forward");
}

void bias_add_forward(float* y, const float* bias, int64_t N, int64_t O) {
  if (N * O == 0) return;
  bias_kernel<<<grid_for(N * O), kThreads, 0, stream()>>>(y, bias, N, O);
  check_launch("bias_add_forward");
}

void bias_add_backward(const float* dy, float* dbias, int64_t N, int64_t O) {
  if (O == 0) return;
  column_sum_kernel<<<blocks_for(O, kThreads), kThreads, 0, stream()>>>(dy, dbias, N, O);
  check_launch("bias_add_backward");
}

}  // namespace retune::ops::cuda
