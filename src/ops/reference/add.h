// Plain-loop reference of ops/add.h, in any floating type (double for the checks).
#pragma once

#include <cstdint>

namespace retune::ops::reference {

template <typename T>
void add_forward(const T* a, const T* b, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

// y [N, O] += bias [O] per row.
template <typename T>
void bias_add_forward(T* y, const T* bias, int64_t N, int64_t O) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) y[n * O + o] += bias[o];
  }
}

// dbias [O] += column sums of dy [N, O].
template <typename T>
void bias_add_backward(const T* dy, T* dbias, int64_t N, int64_t O) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) dbias[o] += dy[n * O + o];
  }
}

}  // namespace retune::ops::reference
