// Plain-loop reference of ops/matmul.h, in any floating type (double for the checks).
// Operands are contiguous; a batch stride of 0 shares the matrix across the batch.
#pragma once

#include <cstdint>

namespace retune::ops::reference {

// out_i = alpha * op(a_i) @ op(b_i) + beta * out_i; op(a_i) is [M, K], op(b_i) is [K, N].
template <typename T>
void matmul_forward(const T* a, const T* b, T* out, int64_t batch, int64_t M, int64_t N, int64_t K,
                    bool trans_a, bool trans_b, int64_t a_batch_stride, int64_t b_batch_stride,
                    T alpha, T beta) {
  for (int64_t i = 0; i < batch; ++i) {
    const T* ai = a + i * a_batch_stride;
    const T* bi = b + i * b_batch_stride;
    T* oi = out + i * M * N;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        T sum = 0;
        for (int64_t k = 0; k < K; ++k) {
          const T x = trans_a ? ai[k * M + m] : ai[m * K + k];
          const T y = trans_b ? bi[n * K + k] : bi[k * N + n];
          sum += x * y;
        }
        oi[m * N + n] = alpha * sum + (beta == T(0) ? T(0) : beta * oi[m * N + n]);
      }
    }
  }
}

// Gradients of out = op(a) @ op(b) (alpha 1, beta 0) given dout [batch, M, N]. A shared
// operand (batch stride 0) receives the sum over the batch. da/db are overwritten; either
// may be null.
template <typename T>
void matmul_backward(const T* dout, const T* a, const T* b, T* da, T* db, int64_t batch, int64_t M,
                     int64_t N, int64_t K, bool trans_a, bool trans_b, int64_t a_batch_stride,
                     int64_t b_batch_stride) {
  const int64_t a_count = a_batch_stride ? batch : 1;
  const int64_t b_count = b_batch_stride ? batch : 1;
  if (da)
    for (int64_t i = 0; i < a_count * M * K; ++i) da[i] = 0;
  if (db)
    for (int64_t i = 0; i < b_count * K * N; ++i) db[i] = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const T* di = dout + i * M * N;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t k = 0; k < K; ++k) {
          // out[m, n] += A'[m, k] * B'[k, n]
          const int64_t a_at = i * a_batch_stride + (trans_a ? k * M + m : m * K + k);
          const int64_t b_at = i * b_batch_stride + (trans_b ? n * K + k : k * N + n);
          if (da) da[a_at] += di[m * N + n] * b[b_at];
          if (db) db[b_at] += di[m * N + n] * a[a_at];
        }
      }
    }
  }
}

}  // namespace retune::ops::reference
