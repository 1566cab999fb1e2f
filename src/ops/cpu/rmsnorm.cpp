#include "ops/cpu/rmsnorm.h"

#include <cmath>

#include "ops/cpu/column_blocks.h"

namespace retune::ops::cpu {

void rmsnorm_forward(const float* x, const float* weight, int64_t N, int64_t C, float eps,
                     float* out, float* rstd) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    const float* xn = x + n * C;
    float* on = out + n * C;
    float sum_sq = 0;
#pragma omp simd reduction(+ : sum_sq)
    for (int64_t c = 0; c < C; ++c) sum_sq += xn[c] * xn[c];
    const float r = 1.0f / std::sqrt(sum_sq / static_cast<float>(C) + eps);
    rstd[n] = r;
    for (int64_t c = 0; c < C; ++c) on[c] = weight[c] * (xn[c] * r);
  }
}

void rmsnorm_backward(const float* dout, const float* x, const float* weight, const float* rstd,
                      int64_t N, int64_t C, float* dx, float* dweight, bool accumulate_dx) {
  if (dx) {
    // With xhat = x * rstd: dx = rstd * (weight * dout - xhat * mean_c(weight * dout * xhat)).
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* xn = x + n * C;
      const float* dn = dout + n * C;
      float* dxn = dx + n * C;
      const float r = rstd[n];
      float dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int64_t c = 0; c < C; ++c) dot += weight[c] * dn[c] * (xn[c] * r);
      const float mean_dot = dot / static_cast<float>(C);
      for (int64_t c = 0; c < C; ++c) {
        const float term = r * (weight[c] * dn[c] - (xn[c] * r) * mean_dot);
        dxn[c] = accumulate_dx ? dxn[c] + term : term;
      }
    }
  }
  if (dweight) {
    for_each_column_block(C, [&](int64_t c0, int64_t c1) {
      float sum[kColumnBlock] = {};
      for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C + c0;
        const float* dn = dout + n * C + c0;
        const float r = rstd[n];
        for (int64_t c = 0; c < c1 - c0; ++c) sum[c] += dn[c] * (xn[c] * r);
      }
      for (int64_t c = 0; c < c1 - c0; ++c) dweight[c0 + c] += sum[c];
    });
  }
}

}  // namespace retune::ops::cpu
