#include "ops/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

namespace retune::ops::cpu {

void gemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha, GemmOperand a,
                  GemmOperand b, float beta, float* out, int64_t ldo, int64_t out_batch_stride) {
  if (M == 0 || N == 0) return;
  auto one = [&](int64_t i) {
    cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans,
                b.trans ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
                static_cast<int>(K), alpha, a.data + i * a.batch_stride, static_cast<int>(a.ld),
                b.data + i * b.batch_stride, static_cast<int>(b.ld), beta,
                out + i * out_batch_stride, static_cast<int>(ldo));
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
