#include "ops/cuda/column_sums.cuh"
#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/rmsnorm.h"
#include "ops/cuda/row_reduce.cuh"

namespace retune::ops::cuda {

namespace {

template <typename Out>
__global__ void rmsnorm_forward_kernel(const float* x, const float* weight, int64_t N, int64_t C,
                                       float eps, Out* out, float* rstd) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* xn = x + n * C;
    Out* on = out + n * C;
    float sum_sq = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) sum_sq += xn[c] * xn[c];
    sum_sq = block_sum(sum_sq);
    const float r = 1.0f / sqrtf(sum_sq / static_cast<float>(C) + eps);
    if (threadIdx.x == 0) rstd[n] = r;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) store_f32(on, c, weight[c] * (xn[c] * r));
  }
}

// With xhat = x * rstd: dx = rstd * (weight * dout - xhat * mean_c(weight * dout * xhat)),
// written or (accumulate) added.
__global__ void rmsnorm_dx_kernel(const float* dout, const float* x, const float* weight,
                                  const float* rstd, int64_t N, int64_t C, float* dx,
                                  bool accumulate) {
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* xn = x + n * C;
    const float* dn = dout + n * C;
    float* dxn = dx + n * C;
    const float r = rstd[n];
    float dot = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) dot += weight[c] * dn[c] * (xn[c] * r);
    const float mean_dot = block_sum(dot) / static_cast<float>(C);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const float term = r * (weight[c] * dn[c] - (xn[c] * r) * mean_dot);
      dxn[c] = accumulate ? dxn[c] + term : term;
    }
  }
}

// dweight's term for row n, column c: dout * xhat.
struct DweightTerm {
  const float* dout;
  const float* x;
  const float* rstd;
  int64_t C;
  __device__ float operator()(int64_t n, int64_t c) const {
    return dout[n * C + c] * (x[n * C + c] * rstd[n]);
  }
};

}  // namespace

void rmsnorm_forward(const float* x, const float* weight, int64_t N, int64_t C, float eps,
                     void* out, DType out_dtype, float* rstd) {
  if (N == 0) return;
  with_element_type(out_dtype, [&](auto out_type) {
    using Out = decltype(out_type);
    rmsnorm_forward_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(
        x, weight, N, C, eps, static_cast<Out*>(out), rstd);
  });
  check_launch("rmsnorm_forward");
}

void rmsnorm_backward(const float* dout, const float* x, const float* weight, const float* rstd,
                      int64_t N, int64_t C, float* dx, float* dweight, bool accumulate_dx) {
  if (N == 0) return;
  if (dx) {
    rmsnorm_dx_kernel<<<row_blocks(N), kRowThreads, 0, stream()>>>(dout, x, weight, rstd, N, C, dx,
                                                                   accumulate_dx);
    check_launch("rmsnorm_backward (dx)");
  }
  if (dweight) {
    add_column_sums(DweightTerm{dout, x, rstd, C}, N, C, dweight, "rmsnorm_backward (dweight)");
  }
}

}  // namespace retune::ops::cuda
