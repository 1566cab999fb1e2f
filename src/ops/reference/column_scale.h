// Plain-loop reference of ops/column_scale.h, in any floating type (double for the checks);
// contiguous row-major arrays, the optional ones null when absent.
#pragma once

#include <cstdint>

namespace retune::ops::reference {

template <typename T>
void scale_columns(const T* x, const T* scale, const T* shift, const T* subtract, T* out, int64_t N,
                   int64_t C, bool accumulate) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t at = n * C + c;
      const T value =
          scale[c] * x[at] + (shift ? shift[c] : T(0)) - (subtract ? subtract[at] : T(0));
      out[at] = (accumulate ? out[at] : T(0)) + value;
    }
  }
}

template <typename T>
void add_column_products(const T* a, const T* b, const T* divisor, int64_t N, int64_t C, T* grad) {
  for (int64_t c = 0; c < C; ++c) {
    T sum = 0;
    for (int64_t n = 0; n < N; ++n) sum += a[n * C + c] * b[n * C + c];
    grad[c] += divisor ? sum / divisor[c] : sum;
  }
}

template <typename T>
void scale_linear_output(T* z, const T* bias, const T* scale, const T* shift, T* kept, int64_t N,
                         int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t at = n * C + c;
      const T b = bias ? bias[c] : T(0);
      const T y = z[at] + b;
      if (kept) kept[at] = y;
      z[at] = scale[c] * y + (shift ? shift[c] : T(0)) - b;
    }
  }
}

}  // namespace retune::ops::reference
