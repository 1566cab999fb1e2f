#include "ops/cuda/column_sums.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/layernorm.h"
#include "ops/cuda/row_reduce.cuh"

namespace retune::ops::cuda {

namespace {

__global__ void layernorm_forward_kernel(const float* x, const float* weight, const float* bias,
                                         int64_t N, int64_t C, float eps, float* out, float* mean,
                                         float* rstd) {
  const float inv_C = 1.0f / static_cast<float>(C);
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* xn = x + n * C;
    float* on = out + n * C;
    float sum = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) sum += xn[c];
    const float m = block_sum(sum) * inv_C;
    float sum_sq = 0;  // two passes: no cancellation in the variance
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) sum_sq += (xn[c] - m) * (xn[c] - m);
    const float r = 1.0f / sqrtf(block_sum(sum_sq) * inv_C + eps);
    if (threadIdx.x == 0) {
      mean[n] = m;
      rstd[n] = r;
    }
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      on[c] = (xn[c] - m) * r * weight[c] + bias[c];
    }
  }
}

// With xhat = (x - mean) * rstd and g = weight * dout:
//   dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)), written or (accumulate) added.
__global__ void layernorm_dx_kernel(const float* dout, const float* x, const float* weight,
                                    const float* mean, const float* rstd, int64_t N, int64_t C,
                                    float* dx, bool accumulate) {
  const float inv_C = 1.0f / static_cast<float>(C);
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* xn = x + n * C;
    const float* dn = dout + n * C;
    float* dxn = dx + n * C;
    const float m = mean[n];
    const float r = rstd[n];
    float sum_g = 0;
    float sum_g_xhat = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const float g = weight[c] * dn[c];
      sum_g += g;
      sum_g_xhat += g * ((xn[c] - m) * r);
    }
    const float mean_g = block_sum(sum_g) * inv_C;
    const float mean_g_xhat = block_sum(sum_g_xhat) * inv_C;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const float term = r * (weight[c] * dn[c] - mean_g - (xn[c] - m) * r * mean_g_xhat);
      dxn[c] = accumulate ? dxn[c] + term : term;
    }
  }
}

// dweight's term for row n, column c: dout * xhat.
struct DweightTerm {
  const float* dout;
  const float* x;
  const float* mean;
  const float* rstd;
  int64_t C;
  __device__ float operator()(int64_t n, int64_t c) const {
    return dout[n * C + c] * ((x[n * C + c] - mean[n]) * rstd[n]);
  }
};

}  // namespace

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t N, int64_t C,
                       float eps, float* out, float* mean, float* rstd) {
  if (N == 0) return;
  layernorm_forward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(x, weight, bias, N, C, eps,
                                                                        out, mean, rstd);
  check_launch("layernorm_forward");
}

void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C, float* dx, float* dweight,
                        float* dbias, bool accumulate_dx) {
  if (N == 0) return;
  if (dx) {
    layernorm_dx_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(dout, x, weight, mean, rstd, N,
                                                                     C, dx, accumulate_dx);
    check_launch("layernorm_backward (dx)");
  }
  if (dweight) {
    add_column_sums(DweightTerm{dout, x, mean, rstd, C}, N, C, dweight,
                    "layernorm_backward (dweight)");
  }
  if (dbias) add_column_sums(MatrixElement{dout, C}, N, C, dbias, "layernorm_backward (dbias)");
}

}  // namespace retune::ops::cuda
