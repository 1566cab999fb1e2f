#include "ops/cpu/layernorm.h"

#include <cmath>

#include "ops/cpu/column_blocks.h"

namespace retune::ops::cpu {

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t N, int64_t C,
                       float eps, float* out, float* mean, float* rstd) {
  const auto inv_C = 1.0f / static_cast<float>(C);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    const float* xn = x + n * C;
    float* on = out + n * C;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < C; ++c) sum += xn[c];
    const float m = sum * inv_C;
    float sum_sq = 0;  // two passes: no cancellation in the variance
#pragma omp simd reduction(+ : sum_sq)
    for (int64_t c = 0; c < C; ++c) sum_sq += (xn[c] - m) * (xn[c] - m);
    const float r = 1.0f / std::sqrt(sum_sq * inv_C + eps);
    mean[n] = m;
    rstd[n] = r;
    for (int64_t c = 0; c < C; ++c) on[c] = (xn[c] - m) * r * weight[c] + bias[c];
  }
}

void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C, float* dx, float* dweight,
                        float* dbias, bool accumulate_dx) {
  const auto inv_C = 1.0f / static_cast<float>(C);
  if (dx) {
    // With xhat = (x - mean) * rstd and g = weight * dout:
    //   dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)).
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* xn = x + n * C;
      const float* dn = dout + n * C;
      float* dxn = dx + n * C;
      const float m = mean[n];
      const float r = rstd[n];
      float sum_g = 0;
      float sum_g_xhat = 0;
#pragma omp simd reduction(+ : sum_g, sum_g_xhat)
      for (int64_t c = 0; c < C; ++c) {
        const float g = weight[c] * dn[c];
        sum_g += g;
        sum_g_xhat += g * ((xn[c] - m) * r);
      }
      const float mean_g = sum_g * inv_C;
      const float mean_g_xhat = sum_g_xhat * inv_C;
      for (int64_t c = 0; c < C; ++c) {
        const float term = r * (weight[c] * dn[c] - mean_g - (xn[c] - m) * r * mean_g_xhat);
        dxn[c] = accumulate_dx ? dxn[c] + term : term;
      }
    }
  }
  if (dweight || dbias) {
    for_each_column_block(C, [&](int64_t c0, int64_t c1) {
      float sum_dout_xhat[kColumnBlock] = {};
      float sum_dout[kColumnBlock] = {};
      for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C + c0;
        const float* dn = dout + n * C + c0;
        const float m = mean[n];
        const float r = rstd[n];
        for (int64_t c = 0; c < c1 - c0; ++c) {
          sum_dout_xhat[c] += dn[c] * ((xn[c] - m) * r);
          sum_dout[c] += dn[c];
        }
      }
      for (int64_t c = 0; c < c1 - c0; ++c) {
        if (dweight) dweight[c0 + c] += sum_dout_xhat[c];
        if (dbias) dbias[c0 + c] += sum_dout[c];
      }
    });
  }
}

}  // namespace retune::ops::cpu
