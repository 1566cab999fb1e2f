#include "ops/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

namespace retune::ops::cpu {
namespace {

// out = alpha * op(a) @ op(b) + beta * out when M or N is 1, as a matrix-vector product:
// OpenBLAS's sgemm packs the whole matrix operand first, which doubles the memory traffic of
// the single-row products of decoding.
void gemv(int64_t M, int64_t N, int64_t K, float alpha, const float* a, const GemmOperand& a_form,
          const float* b, const GemmOperand& b_form, float beta, float* out, int64_t ldo) {
  const bool row = M == 1;  // else N == 1: a column
  // y = alpha * A x + beta * y with A the matrix operand as stored, x the vector operand.
  const GemmOperand& matrix = row ? b_form : a_form;
  const float* matrix_data = row ? b : a;
  const float* x = row ? a : b;
  // The matrix is op(b) [K, N] for a row (A = op(b)^T), op(a) [M, K] for a column (A = op(a)).
  const bool transpose = row ? !matrix.trans : matrix.trans;
  const int64_t rows = row ? (matrix.trans ? N : K) : (matrix.trans ? K : M);
  const int64_t cols = row ? (matrix.trans ? K : N) : (matrix.trans ? M : K);
  // The vector's stride: a row of op(a) [1, K] or a column of op(b) [K, 1].
  const int64_t incx = row ? (a_form.trans ? a_form.ld : 1) : (b_form.trans ? 1 : b_form.ld);
  const int64_t length = row ? N : M;
  const int64_t incy = row ? 1 : ldo;
  // beta = 0 must not read out (it may hold NaN); OpenBLAS scales y by beta instead.
  if (beta == 0.0f) {
    for (int64_t i = 0; i < length; ++i) out[i * incy] = 0.0f;
  }
  cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, static_cast<int>(rows),
              static_cast<int>(cols), alpha, matrix_data, static_cast<int>(matrix.ld), x,
              static_cast<int>(incx), beta, out, static_cast<int>(incy));
}

}  // namespace

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  if (M == 0 || N == 0) return;
  auto one = [&](int64_t i) {
    const float* a_i = a.data + i * a.batch_stride;
    const float* b_i = b.data + i * b.batch_stride;
    if ((M == 1 || N == 1) && K > 0) {
      gemv(M, N, K, alpha, a_i, a, b_i, b, beta, out + i * out_batch_stride, ldo);
      return;
    }
    cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans,
                b.trans ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
                static_cast<int>(K), alpha, a_i, static_cast<int>(a.ld), b_i,
                static_cast<int>(b.ld), beta, out + i * out_batch_stride, static_cast<int>(ldo));
  };
  // A product under ~4 MFLOP does not keep several threads busy; spread the batch instead.
  const bool parallel_batch =
      batch > 1 && 2 * M * N * K < (int64_t{1} << 22) && out_batch_stride != 0;
  if (parallel_batch) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < batch; ++i) one(i);
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i);
  }
}

}  // namespace retune::ops::cpu
