// Plain-loop reference of ops/rmsnorm.h, in any floating type (double for the checks).
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// out = weight * (x * rstd), rstd = 1 / sqrt(mean(x^2) + eps) per row; x, out [N, C], rstd [N].
template <typename T>
void rmsnorm_forward(const T* x, const T* weight, T* out, T* rstd, int64_t N, int64_t C, T eps) {
  for (int64_t n = 0; n < N; ++n) {
    T sum_sq = 0;
    for (int64_t c = 0; c < C; ++c) sum_sq += x[n * C + c] * x[n * C + c];
    rstd[n] = T(1) / std::sqrt(sum_sq / T(C) + eps);
    for (int64_t c = 0; c < C; ++c) out[n * C + c] = weight[c] * (x[n * C + c] * rstd[n]);
  }
}

// dx (overwritten) and dweight (+=) given dout and the forward's rstd.
template <typename T>
void rmsnorm_backward(const T* dout, const T* x, const T* weight, const T* rstd, T* dx, T* dweight,
                      int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    // out_c = w_c x_c r with r = (mean(x^2) + eps)^(-1/2), dr/dx_j = -r^3 x_j / C.
    T dot = 0;  // sum_c dout_c w_c x_c
    for (int64_t c = 0; c < C; ++c) dot += dout[n * C + c] * weight[c] * x[n * C + c];
    const T r = rstd[n];
    for (int64_t j = 0; j < C; ++j) {
      dx[n * C + j] = dout[n * C + j] * weight[j] * r - dot * r * r * r * x[n * C + j] / T(C);
      dweight[j] += dout[n * C + j] * x[n * C + j] * r;
    }
  }
}

}  // namespace retune::ops::reference
