// Plain-loop reference of ops/layernorm.h, in any floating type (double for the checks).
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// out = (x - mean) * rstd * weight + bias per row (biased variance); x, out [N, C];
// mean, rstd [N].
template <typename T>
void layernorm_forward(const T* x, const T* weight, const T* bias, T* out, T* mean, T* rstd,
                       int64_t N, int64_t C, T eps) {
  for (int64_t n = 0; n < N; ++n) {
    T sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += x[n * C + c];
    mean[n] = sum / T(C);
    T sum_sq = 0;
    for (int64_t c = 0; c < C; ++c) sum_sq += (x[n * C + c] - mean[n]) * (x[n * C + c] - mean[n]);
    rstd[n] = T(1) / std::sqrt(sum_sq / T(C) + eps);
    for (int64_t c = 0; c < C; ++c) {
      out[n * C + c] = (x[n * C + c] - mean[n]) * rstd[n] * weight[c] + bias[c];
    }
  }
}

// dx (overwritten), dweight and dbias (+=) given dout and the forward's mean and rstd.
template <typename T>
void layernorm_backward(const T* dout, const T* x, const T* weight, const T* mean, const T* rstd,
                        T* dx, T* dweight, T* dbias, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    // out_c = w_c xhat_c + b_c; dxhat_c = dout_c w_c and
    // dx_j = rstd * (dxhat_j - mean(dxhat) - xhat_j * mean(dxhat * xhat)).
    T sum_dxhat = 0;
    T sum_dxhat_xhat = 0;
    for (int64_t c = 0; c < C; ++c) {
      const T xhat = (x[n * C + c] - mean[n]) * rstd[n];
      sum_dxhat += dout[n * C + c] * weight[c];
      sum_dxhat_xhat += dout[n * C + c] * weight[c] * xhat;
    }
    for (int64_t j = 0; j < C; ++j) {
      const T xhat = (x[n * C + j] - mean[n]) * rstd[n];
      dx[n * C + j] =
          rstd[n] * (dout[n * C + j] * weight[j] - sum_dxhat / T(C) - xhat * sum_dxhat_xhat / T(C));
      dweight[j] += dout[n * C + j] * xhat;
      dbias[j] += dout[n * C + j];
    }
  }
}

}  // namespace retune::ops::reference
