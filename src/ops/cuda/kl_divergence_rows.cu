#include <cuda_bf16.h>

#include "ops/cuda/kl_divergence_rows.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/row_reduce.cuh"
#include "ops/cuda/softmax_sums.cuh"

namespace retune::ops::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int32_t kIgnored = -100;  // ops/cross_entropy_head.h's kIgnoreIndex

// One block per row.
__global__ void __launch_bounds__(kThreads)
    kl_rows_kernel(const float* student, const float* teacher, int64_t V, const int32_t* labels,
                   float* lse, float* teacher_lse, bool lse_given, float* row_kl, float grad_scale,
                   __nv_bfloat16* dlogits) {
  __shared__ SoftmaxSum shared[kThreads / 32];
  const int64_t n = blockIdx.x;
  const float* s = student + n * V;
  const float* t = teacher + n * V;
  if (labels[n] == kIgnored) {
    if (threadIdx.x == 0) {
      if (!lse_given) lse[n] = teacher_lse[n] = 0.0f;
      row_kl[n] = 0.0f;
    }
    if (dlogits) {
      for (int64_t v = threadIdx.x; v < V; v += kThreads)
        dlogits[n * V + v] = __float2bfloat16(0.0f);
    }
    return;
  }
  float s_lse;
  float t_lse;
  if (lse_given) {
    s_lse = lse[n];
    t_lse = teacher_lse[n];
  } else {
    s_lse = row_logsumexp<kThreads>(s, V, shared);
    t_lse = row_logsumexp<kThreads>(t, V, shared);
    if (threadIdx.x == 0) {
      lse[n] = s_lse;
      teacher_lse[n] = t_lse;
    }
  }
  // Summed in double, as on the CPU: near a student equal to its teacher the row's KL (~e^2)
  // is far smaller than its terms (~e), which an f32 sum over V classes would round away.
  double kl = 0.0;
  for (int64_t v = threadIdx.x; v < V; v += kThreads) {
    const float log_q = t[v] - t_lse;
    const float log_p = s[v] - s_lse;
    const float q = __expf(log_q);
    kl += static_cast<double>(q) * (log_q - log_p);
    if (dlogits) dlogits[n * V + v] = __float2bfloat16(grad_scale * (__expf(log_p) - q));
  }
  kl = block_sum(kl);
  if (threadIdx.x == 0) row_kl[n] = static_cast<float>(kl);
}

}  // namespace

void kl_divergence_rows(const float* student, const float* teacher, int64_t rows, int64_t V,
                        const int32_t* labels, float* lse, float* teacher_lse, bool lse_given,
                        float* row_kl, float grad_scale, uint16_t* dlogits) {
  if (rows == 0) return;
  kl_rows_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream()>>>(
      student, teacher, V, labels, lse, teacher_lse, lse_given, row_kl, grad_scale,
      reinterpret_cast<__nv_bfloat16*>(dlogits));
  check_launch("kl_divergence_rows");
}

}  // namespace retune::ops::cuda
