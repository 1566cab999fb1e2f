#include <cuda_bf16.h>
#include <cuda_fp16.h>

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
    // W + s B A in f32 (as the CPU and PEFT form it), then squared and summed in double.
    const double v = to_float(weight[o * row_stride + i * col_stride]) + delta[o * I + i];
    sum += v * v;
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) {
    const auto row_norm = static_cast<float>(sqrt(sum));
    norm[o] = row_norm;
    scale[o] = magnitude[o] / row_norm;
  }
}

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

}  // namespace retune::ops::cuda
