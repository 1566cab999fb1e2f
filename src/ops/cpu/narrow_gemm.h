// Matrix products with one small dimension — LoRA's products (r = 8..64 beside a layer's
// width and the batch's tokens), where OpenBLAS's sgemm reaches ~15-25% of its speed on square
// ones. out[M, N] = alpha * A[M, K] @ B[K, N] + beta * out when N, M or K is at most
// kNarrowMax:
//   - N small (x A^T, dy B): register tiles of 8 rows of out x 16 columns, B packed [K, 16]
//     per column chunk, A read in place;
//   - M small (dA = dxa^T x, dB^T): the same on the transposed product, out^T = B^T A^T;
//   - K small (z += (xA) B^T, dx += dxa A): tiles of 4 rows x 32 columns over B packed [K, N],
//     out read and written once.
// The rows of out (of out^T when M is small) are spread over the OpenMP threads; each element
// is one sum over k in order, so the result does not depend on the thread count. Inside a
// parallel region it runs on the calling thread. gemm_batched (ops/cpu/gemm.h) calls it for the
// products narrow_gemm_applies to.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

inline constexpr int64_t kNarrowMax = 64;

// Element (r, c) at data[r * row_stride + c * col_stride].
struct StridedMatrix {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

// Whether narrow_gemm takes a product of these sizes: one of M, N, K at most kNarrowMax and the
// other two at least 2 * kNarrowMax (smaller products are cheap either way).
bool narrow_gemm_applies(int64_t M, int64_t N, int64_t K);

// out (element (m, n) at out[m * ldo + n]) may not alias A or B; beta 0 never reads it.
void narrow_gemm(int64_t M, int64_t N, int64_t K, float alpha, StridedMatrix a, StridedMatrix b,
                 float beta, float* out, int64_t ldo);

}  // namespace retune::ops::cpu
