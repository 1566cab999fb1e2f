#include "ops/cpu/narrow_gemm.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <vector>

namespace retune::ops::cpu {
namespace {

constexpr int64_t kMinWide = 2 * kNarrowMax;
// Below this many multiply-adds one thread does the product (a parallel region costs more).
constexpr int64_t kParallelWork = int64_t{1} << 20;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

struct OutMatrix {
  float* data;
  int64_t row_stride;
  int64_t col_stride;
};

float element(const StridedMatrix& m, int64_t r, int64_t c) {
  return m.data[r * m.row_stride + c * m.col_stride];
}

// out = alpha * acc + beta * out for the tile's rows [m0, m0 + rows) and its first `valid`
// columns from c0.
template <int Rows, int Width>
void store_tile(const float (&acc)[Rows][Width], int rows, int64_t valid, float alpha, float beta,
                const OutMatrix& out, int64_t m0, int64_t c0) {
  for (int i = 0; i < rows; ++i) {
    float* row = out.data + (m0 + i) * out.row_stride + c0 * out.col_stride;
    for (int64_t j = 0; j < valid; ++j) {
      float& o = row[j * out.col_stride];
      o = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * o;
    }
  }
}

// acc[i][:] = sum over k of A(m0 + i, k) * packed[k][:] for i < rows (Rows rows computed; the
// rows past `rows` read row m0 again and are not stored).
template <int Rows, int Width>
void tile_product(int64_t K, const StridedMatrix& a, int64_t m0, int rows, const float* packed,
                  int64_t packed_ld, float (&acc)[Rows][Width]) {
  const float* lines[Rows];
  for (int i = 0; i < Rows; ++i) lines[i] = a.data + (m0 + (i < rows ? i : 0)) * a.row_stride;
  const int64_t step = a.col_stride;
  for (int64_t k = 0; k < K; ++k) {
    const float* b = packed + k * packed_ld;
#pragma GCC unroll 8
    for (int i = 0; i < Rows; ++i) {
      const float x = lines[i][k * step];
#pragma omp simd
      for (int j = 0; j < Width; ++j) acc[i][j] += x * b[j];
    }
  }
}

// Runs body(block) for every block, over the threads when the product is large enough.
template <typename Body>
void for_each_block(int64_t blocks, int64_t work, const Body& body) {
  if (work < kParallelWork || omp_in_parallel()) {
    for (int64_t block = 0; block < blocks; ++block) body(block);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t block = 0; block < blocks; ++block) body(block);
}

// out[M, N] with N <= kNarrowMax: B packed by chunks of 16 columns, [K, 16] each (zeros past
// N), then 8-row tiles of A times each chunk.
void narrow_columns(int64_t M, int64_t N, int64_t K, float alpha, const StridedMatrix& a,
                    const StridedMatrix& b, float beta, const OutMatrix& out) {
  constexpr int kRows = 8;
  constexpr int kWidth = 16;
  const int64_t chunks = ceil_div(N, kWidth);
  std::vector<float> packed(static_cast<size_t>(chunks * K * kWidth));
  for (int64_t c = 0; c < chunks; ++c) {
    float* chunk = packed.data() + c * K * kWidth;
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t j = 0; j < kWidth; ++j) {
        const int64_t n = c * kWidth + j;
        chunk[k * kWidth + j] = n < N ? element(b, k, n) : 0.0f;
      }
    }
  }
  for_each_block(ceil_div(M, kRows), M * N * K, [&](int64_t block) {
    const int64_t m0 = block * kRows;
    const int rows = static_cast<int>(std::min<int64_t>(kRows, M - m0));
    for (int64_t c = 0; c < chunks; ++c) {
      float acc[kRows][kWidth] = {};
      tile_product(K, a, m0, rows, packed.data() + c * K * kWidth, kWidth, acc);
      store_tile(acc, rows, std::min<int64_t>(kWidth, N - c * kWidth), alpha, beta, out, m0,
                 c * kWidth);
    }
  });
}

// out[M, N] with K <= kNarrowMax: B packed [K, N rounded up to 32] (zeros past N), then 4-row
// tiles of A times each 32-column chunk; out is read and written once.
void narrow_depth(int64_t M, int64_t N, int64_t K, float alpha, const StridedMatrix& a,
                  const StridedMatrix& b, float beta, const OutMatrix& out) {
  constexpr int kRows = 4;
  constexpr int kWidth = 32;
  const int64_t chunks = ceil_div(N, kWidth);
  const int64_t ld = chunks * kWidth;
  std::vector<float> packed(static_cast<size_t>(K * ld), 0.0f);
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t n = 0; n < N; ++n) packed[static_cast<size_t>(k * ld + n)] = element(b, k, n);
  }
  for_each_block(ceil_div(M, kRows), M * N * K, [&](int64_t block) {
    const int64_t m0 = block * kRows;
    const int rows = static_cast<int>(std::min<int64_t>(kRows, M - m0));
    for (int64_t c = 0; c < chunks; ++c) {
      float acc[kRows][kWidth] = {};
      tile_product(K, a, m0, rows, packed.data() + c * kWidth, ld, acc);
      store_tile(acc, rows, std::min<int64_t>(kWidth, N - c * kWidth), alpha, beta, out, m0,
                 c * kWidth);
    }
  });
}

}  // namespace

bool narrow_gemm_applies(int64_t M, int64_t N, int64_t K) {
  std::array<int64_t, 3> sizes = {M, N, K};
  std::sort(sizes.begin(), sizes.end());
  return sizes[0] >= 1 && sizes[0] <= kNarrowMax && sizes[1] >= kMinWide;
}

void narrow_gemm(int64_t M, int64_t N, int64_t K, float alpha, StridedMatrix a, StridedMatrix b,
                 float beta, float* out, int64_t ldo) {
  if (N <= kNarrowMax) {
    narrow_columns(M, N, K, alpha, a, b, beta, {out, ldo, 1});
  } else if (M <= kNarrowMax) {
    // out^T [N, M] = B^T [N, K] @ A^T [K, M].
    narrow_columns(N, M, K, alpha, {b.data, b.col_stride, b.row_stride},
                   {a.data, a.col_stride, a.row_stride}, beta, {out, 1, ldo});
  } else {
    narrow_depth(M, N, K, alpha, a, b, beta, {out, ldo, 1});
  }
}

}  // namespace retune::ops::cpu
