// Plain-loop reference of ops/softmax.h, in any floating type (double for the checks).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// y = softmax(x) over each row of C; x, y [N, C].
template <typename T>
void softmax_forward(const T* x, T* y, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    T max = x[n * C];
    for (int64_t c = 1; c < C; ++c) max = std::max(max, x[n * C + c]);
    T sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(x[n * C + c] - max);
    for (int64_t c = 0; c < C; ++c) y[n * C + c] = std::exp(x[n * C + c] - max) / sum;
  }
}

// dx_j = sum_c dy_c * (d y_c / d x_j) = sum_c dy_c y_c (delta_cj - y_j)
//      = y_j (dy_j - sum_c dy_c y_c).
template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    T dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += dy[n * C + c] * y[n * C + c];
    for (int64_t c = 0; c < C; ++c) dx[n * C + c] = y[n * C + c] * (dy[n * C + c] - dot);
  }
}

}  // namespace retune::ops::reference
