// The CPU's matrix-product kernel: a strided batch of f32 products through OpenBLAS sgemm.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// One operand: matrix i of the batch starts at data + i * batch_stride (0: shared), its
// element (r, c) of the stored (untransposed) matrix is at r * ld + c.
struct GemmOperand {
  const float* data;
  int64_t ld;
  int64_t batch_stride;
  bool trans;
};

// out_i = alpha * op(a_i) @ op(b_i) + beta * out_i for i < batch; op(a_i) is [M, K],
// op(b_i) is [K, N], out_i is [M, N] at out + i * out_batch_stride with leading dim ldo.
// Small products of a large batch run in parallel, one sgemm per thread; large ones use
// OpenBLAS's own threads.
void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride);

// One product: out = alpha * op(a) @ op(b) + beta * out, [M, N] with leading dim ldo. Inside an
// OpenMP parallel region it runs on the calling thread.
inline void gemm(int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a, GemmOperand b,
                 float beta, float* out, int64_t ldo) {
  gemm_batched(1, M, N, K, alpha, a, b, beta, out, ldo, 0);
}

}  // namespace retune::ops::cpu
