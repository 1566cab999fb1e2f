#include "ops/cpu/column_scale.h"

#include <algorithm>

namespace retune::ops::cpu {
namespace {

// Below this many elements one thread works (a parallel region costs more).
constexpr int64_t kParallelElements = 1 << 15;

}  // namespace

void scale_columns(const float* x, const float* scale, const float* shift, const float* subtract,
                   float* out, int64_t N, int64_t C, bool accumulate) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t at = n * C + c;
      float value = scale[c] * x[at];
      if (shift) value += shift[c];
      if (subtract) value -= subtract[at];
      out[at] = accumulate ? out[at] + value : value;
    }
  }
}

void add_column_products(const float* a, const float* b, const float* divisor, int64_t N, int64_t C,
                         float* grad) {
  constexpr int64_t kColumns = 64;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < C; c0 += kColumns) {
    const int64_t c1 = std::min(C, c0 + kColumns);
    double sums[kColumns] = {};
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t c = c0; c < c1; ++c) {
        sums[c - c0] += static_cast<double>(a[n * C + c]) * b[n * C + c];
      }
    }
    for (int64_t c = c0; c < c1; ++c) {
      grad[c] += static_cast<float>(divisor ? sums[c - c0] / divisor[c] : sums[c - c0]);
    }
  }
}

void scale_linear_output(float* z, const float* bias, const float* scale, const float* shift,
                         float* kept, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t at = n * C + c;
      const float b = bias ? bias[c] : 0.0f;
      const float y = z[at] + b;
      if (kept) kept[at] = y;
      z[at] = y * scale[c] - b + (shift ? shift[c] : 0.0f);
    }
  }
}

}  // namespace retune::ops::cpu
