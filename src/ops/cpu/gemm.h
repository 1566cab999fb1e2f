// The CPU's matrix-product kernels: a strided batch of f32 products through OpenBLAS sgemm (or
// the narrow kernels where one dimension is small), and the same with one shared operand stored
// in bf16 or f16 (a frozen weight).
#pragma once

#include <cstdint>

#include "core/dtype.h"

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
// OpenBLAS's own threads. A row or a column is a gemv; a product with one small dimension (LoRA's
// r) takes ops/cpu/narrow_gemm.h's kernels instead of sgemm.
void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride);

// One product: out = alpha * op(a) @ op(b) + beta * out, [M, N] with leading dim ldo. Inside an
// OpenMP parallel region it runs on the calling thread.
inline void gemm(int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a, GemmOperand b,
                 float beta, float* out, int64_t ldo) {
  gemm_batched(1, M, N, K, alpha, a, b, beta, out, ldo, 0);
}

// A matrix stored in bf16 or f16, shared by every batch item: its element (r, c) of the stored
// (untransposed) matrix is at r * ld + c.
struct GemmOperand16 {
  const uint16_t* data;
  DType dtype;
  int64_t ld;
  bool trans;
};

// Rows [r0, r1) x columns [c0, c1) of the stored 16-bit matrix `m` (trans ignored), converted to
// f32 into out [r1 - r0, c1 - c0].
void widen_to_f32(const GemmOperand16& m, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                  float* out);

// gemm_batched with a or b in 16 bits, the other operand f32. With one line of the f32 operand
// per batch item (a decode step), the 16-bit matrix is streamed once, each stored row converted
// into L1-resident scratch and used at once (dot products with the rows, or sums of rows over
// fixed chunks of them), the rows spread over the OpenMP threads. Otherwise out is cut into
// tiles: a block of the 16-bit operand's lines (rows of op(a) or columns of op(b)) times a chunk
// of the f32 operand's. The tiles are spread over the threads (static schedule), and each
// converts its block to f32 into per-thread scratch kept between calls (a block: at most 4 MiB,
// or one line if that is longer) unless the thread's previous tile had it, then multiplies it
// with every batch item's chunk by a single-threaded sgemm: each 16-bit element is converted
// once per call and thread at most. Either way the work split depends on M, N, K and batch
// only, so the result does not depend on the thread count.
void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand16 b, float beta, float* out, int64_t ldo, int64_t out_batch_stride);
void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand16 a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride);

}  // namespace retune::ops::cpu
