#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "ops/cuda/column_sums.cuh"
#include "ops/cuda/dora.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/row_reduce.cuh"

namespace retune::ops::cuda {

namespace {

__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}

// One block per output row o.
template <typename W>
__global__ void __launch_bounds__(kRowThreads)
    norm_scale_kernel(const W* weight, int64_t row_stride, int64_t col_stride, const float* delta,
                      const float* magnitude, int64_t I, float* norm, float* scale) {
  const int64_t o = blockIdx.x;
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < I; i += kRowThreads) {
    const double v = static_cast<double>(to_float(weight[o * row_stride + i * col_stride])) +
                     static_cast<double>(delta[o * I + i]);
    sum += v * v;
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) {
    const auto row_norm = static_cast<float>(sqrt(sum));
    norm[o] = row_norm;
    scale[o] = magnitude[o] / row_norm;
  }
}

constexpr int kThreads = 256;

__global__ void scale_columns_kernel(const float* x, const float* scale, const float* subtract,
                                     float* out, int64_t N, int64_t O, bool accumulate) {
  const int64_t count = N * O;
  for (int64_t at = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; at < count;
       at += static_cast<int64_t>(gridDim.x) * kThreads) {
    float value = scale[at % O] * x[at];
    if (subtract) value -= subtract[at];
    out[at] = accumulate ? out[at] + value : value;
  }
}

// Element (n, o) of dz ⊙ term / norm[o].
struct MagnitudeTerm {
  const float* dz;
  const float* term;
  const float* norm;
  int64_t O;
  __device__ float operator()(int64_t n, int64_t o) const {
    return dz[n * O + o] * term[n * O + o] / norm[o];
  }
};

}  // namespace

void dora_norm_scale(const void* weight, DType dtype, int64_t row_stride, int64_t col_stride,
                     const float* delta, const float* magnitude, int64_t O, int64_t I, float* norm,
                     float* scale) {
  if (O == 0) return;
  const auto launch = [&](const auto* typed) {
    norm_scale_kernel<<<static_cast<unsigned>(O), kRowThreads, 0, stream()>>>(
        typed, row_stride, col_stride, delta, magnitude, I, norm, scale);
  };
  switch (dtype) {
    case DType::bf16:
      launch(static_cast<const __nv_bfloat16*>(weight));
      break;
    case DType::f16:
      launch(static_cast<const __half*>(weight));
      break;
    default:
      launch(static_cast<const float*>(weight));
      break;
  }
  check_launch("dora_norm_scale");
}

void dora_scale_columns(const float* x, const float* scale, const float* subtract, float* out,
                        int64_t N, int64_t O, bool accumulate) {
  if (N * O == 0) return;
  constexpr int64_t kMaxBlocks = 65536;
  const auto blocks =
      static_cast<unsigned>(std::min<int64_t>(blocks_for(N * O, kThreads), kMaxBlocks));
  scale_columns_kernel<<<blocks, kThreads, 0, stream()>>>(x, scale, subtract, out, N, O,
                                                          accumulate);
  check_launch("dora_scale_columns");
}

void dora_magnitude_grad(const float* dz, const float* term, const float* norm, int64_t N,
                         int64_t O, float* magnitude_grad) {
  add_column_sums(MagnitudeTerm{dz, term, norm, O}, N, O, magnitude_grad, "dora_magnitude_grad");
}

}  // namespace retune::ops::cuda
