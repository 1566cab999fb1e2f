#include <cuda_bf16.h>

#include <cfloat>

#include "ops/cuda/cross_entropy_rows.h"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int32_t kIgnored = -100;  // ops/cross_entropy_head.h's kIgnoreIndex

// A running (max, sum of exp(value - max)) pair; combining two is associative.
struct SoftmaxSum {
  float max;
  float sum;
};

__device__ SoftmaxSum combine(SoftmaxSum a, SoftmaxSum b) {
  if (a.max == -FLT_MAX) return b;
  if (b.max == -FLT_MAX) return a;
  const float max = fmaxf(a.max, b.max);
  return {max, a.sum * expf(a.max - max) + b.sum * expf(b.max - max)};
}

// The block's combined pair, in every thread (shared: kThreads / 32 pairs).
__device__ SoftmaxSum block_combine(SoftmaxSum mine, SoftmaxSum* shared) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const SoftmaxSum other{__shfl_xor_sync(0xffffffffu, mine.max, offset),
                           __shfl_xor_sync(0xffffffffu, mine.sum, offset)};
    mine = combine(mine, other);
  }
  const int warp = threadIdx.x / 32;
  if (threadIdx.x % 32 == 0) shared[warp] = mine;
  __syncthreads();
  SoftmaxSum total{-FLT_MAX, 0.0f};
  for (int w = 0; w < kThreads / 32; ++w) total = combine(total, shared[w]);
  __syncthreads();
  return total;
}

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
    // The thread's own pair, one exponential per logit: a larger logit rescales the sum. A NaN
    // takes that branch too, making the pair's max and sum NaN: the row's lse stays NaN, as
    // on the CPU, instead of the NaN being dropped with an empty pair's (-FLT_MAX) max.
    SoftmaxSum mine{-FLT_MAX, 0.0f};
    for (int64_t v = threadIdx.x; v < V; v += kThreads) {
      const float x = row[v];
      if (!(x <= mine.max)) {
        mine.sum = mine.sum * __expf(mine.max - x) + 1.0f;
        mine.max = x;
      } else {
        mine.sum += __expf(x - mine.max);
      }
    }
    const SoftmaxSum total = block_combine(mine, shared);
    row_lse = total.max + logf(total.sum);
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
