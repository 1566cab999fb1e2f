#include "ops/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/cpu/vector_exp.h"

namespace retune::ops::cpu {

void softmax_forward(const float* x, int64_t N, int64_t C, float* y) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    const float* xn = x + n * C;
    float* yn = y + n * C;
    float max = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : max)
    for (int64_t c = 0; c < C; ++c) max = std::max(max, xn[c]);
    std::copy_n(xn, C, yn);
    exp_shifted_in_place(yn, C, max);
    float sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += yn[c];
    const float inv_sum = 1.0f / sum;
    for (int64_t c = 0; c < C; ++c) yn[c] *= inv_sum;
  }
}

void softmax_backward(const float* y, const float* dy, int64_t N, int64_t C, float* dx) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n) {
    const float* yn = y + n * C;
    const float* dyn = dy + n * C;
    float* dxn = dx + n * C;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t c = 0; c < C; ++c) dot += dyn[c] * yn[c];
    for (int64_t c = 0; c < C; ++c) dxn[c] = yn[c] * (dyn[c] - dot);
  }
}

}  // namespace retune::ops::cpu
