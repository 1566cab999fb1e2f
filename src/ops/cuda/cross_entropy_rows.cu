#include <cuda_bf16.h>

#include "ops/cuda/cross_entropy_rows.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/softmax_sums.cuh"

namespace retune::ops::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int32_t kIgnored = -100;  // ops/cross_entropy_head.h's kIgnoreIndex

__global__ void __launch_bounds__(kThreads)
    rows_kernel(const float* logits, int64_t V, const int32_t* labels, float* lse, bool lse_given,
                float* row_loss, float grad_scale, __nv_bfloat16* dlogits) {
  __shared__ SoftmaxSum shared[kThreads / 32];
  const int64_t n = blockIdx.x;
  const float* row = logits + n * V;
  const int32_t label = labels[n];
  if (label == kIgnored) {
    if (threadIdx.x == 0) {
      if (!lse_given) lse[n] = 0.0f;
      row_loss[n] = 0.0f;
    }
    if (dlogits) {
      for (int64_t v = threadIdx.x; v < V; v += kThreads)
        dlogits[n * V + v] = __float2bfloat16(0.0f);
    }
    return;
  }
  float row_lse;
  if (lse_given) {
    row_lse = lse[n];
  } else {
    row_lse = row_logsumexp<kThreads>(row, V, shared);
    if (threadIdx.x == 0) lse[n] = row_lse;
  }
  if (threadIdx.x == 0) row_loss[n] = row_lse - row[label];
  if (!dlogits) return;
  for (int64_t v = threadIdx.x; v < V; v += kThreads) {
    const float p = __expf(row[v] - row_lse) - (v == label ? 1.0f : 0.0f);
    dlogits[n * V + v] = __float2bfloat16(p * grad_scale);
  }
}

__global__ void __launch_bounds__(1024)
    sum_kernel(const float* row_loss, int64_t N, float scale, float* loss) {
  __shared__ double partial[1024];
  double sum = 0.0;
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x) sum += row_loss[n];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) loss[0] = static_cast<float>(partial[0] * scale);
}

}  // namespace

void cross_entropy_rows(const float* logits, int64_t rows, int64_t V, const int32_t* labels,
                        float* lse, bool lse_given, float* row_loss, float grad_scale,
                        uint16_t* dlogits) {
  if (rows == 0) return;
  rows_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream()>>>(
      logits, V, labels, lse, lse_given, row_loss, grad_scale,
      reinterpret_cast<__nv_bfloat16*>(dlogits));
  check_launch("cross_entropy_rows");
}

void sum_row_losses(const float* row_loss, int64_t N, float scale, float* loss) {
  sum_kernel<<<1, 1024, 0, stream()>>>(row_loss, N, scale, loss);
  check_launch("sum_row_losses");
}

}  // namespace retune::ops::cuda
