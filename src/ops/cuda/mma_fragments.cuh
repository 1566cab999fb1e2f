// Warp-level tensor-core products for kernels that keep their tiles in shared memory: PTX's
// mma.sync m16n8k16 with bf16 operands and f32 accumulators (sm_80 and later), the operand
// fragments read from bf16 tiles, and the loads that fill those tiles from f32 rows in global
// memory. Built only with RETUNE_CUDA.
//
// A warp's lane l is (group g = l / 4, thread t = l % 4). For D[16, 8] += A[16, 16] B[16, 8]:
//   A: a[0] = A[g, 2t..2t+1], a[1] = A[g+8, 2t..], a[2] = A[g, 2t+8..], a[3] = A[g+8, 2t+8..]
//   B: b[0] = B[2t..2t+1, g], b[1] = B[2t+8..2t+9, g]
//   D: d[0..1] = D[g, 2t..2t+1], d[2..3] = D[g+8, 2t..2t+1]
// (each a and b register holds two bf16, the lower index in the low half). So an accumulator
// pair of adjacent n-blocks, D[:, 16c .. 16c+15], is exactly the A fragment of k-chunk c of a
// following product once rounded to bf16 (to_a_fragment).
//
// Tiles: a "row tile" [rows, kD] holds rows (of q, k, v, dout) with row stride kD + 8; a
// "transposed tile" [kD, cols] holds the same rows as columns, with row stride cols + 8. Both
// padded strides make the fragment reads of a warp hit 32 distinct banks. A fragment of A (or
// of B, n-major) from a tile X is read at X's rows m0 + g, m0 + g + 8 (or n0 + g) and columns
// 16 kc + 2t (+ 8).
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

namespace retune::ops::cuda::mma {

using bf16 = __nv_bfloat16;

constexpr int kWarp = 32;

// The row stride of a tile whose rows hold `cols` bf16 values.
constexpr int padded_stride(int cols) {
  return cols + 8;
}

__device__ inline int lane_group() {
  return static_cast<int>(threadIdx.x % kWarp) / 4;
}
__device__ inline int lane_thread() {
  return static_cast<int>(threadIdx.x % 4);
}

// d += a b for one m16n8k16 product.
__device__ inline void mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Two floats as one register of two bf16 (lo in the low half).
__device__ inline uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 pair = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&pair);
}

__device__ inline uint32_t read_pair(const bf16* tile, int index) {
  return *reinterpret_cast<const uint32_t*>(tile + index);
}

// The A fragment of rows m0 .. m0+15 and columns 16 kc .. 16 kc + 15 of a tile with row stride
// `stride`.
__device__ inline void load_a(uint32_t (&a)[4], const bf16* tile, int stride, int m0, int kc) {
  const int row = m0 + lane_group(), col = 16 * kc + 2 * lane_thread();
  a[0] = read_pair(tile, row * stride + col);
  a[1] = read_pair(tile, (row + 8) * stride + col);
  a[2] = read_pair(tile, row * stride + col + 8);
  a[3] = read_pair(tile, (row + 8) * stride + col + 8);
}

// The B fragment B[k, n] = tile[n0 + n, 16 kc + k] (the tile is n-major: B's columns are its
// rows).
__device__ inline void load_b(uint32_t (&b)[2], const bf16* tile, int stride, int n0, int kc) {
  const int index = (n0 + lane_group()) * stride + 16 * kc + 2 * lane_thread();
  b[0] = read_pair(tile, index);
  b[1] = read_pair(tile, index + 8);
}

// The A fragment of k-chunk c made from accumulators: columns 16c .. 16c+15 are the n-blocks
// 2c (acc0) and 2c + 1 (acc1).
__device__ inline void to_a_fragment(uint32_t (&a)[4], const float (&acc0)[4],
                                     const float (&acc1)[4]) {
  a[0] = pack_bf16(acc0[0], acc0[1]);
  a[1] = pack_bf16(acc0[2], acc0[3]);
  a[2] = pack_bf16(acc1[0], acc1[1]);
  a[3] = pack_bf16(acc1[2], acc1[3]);
}

// The row (0 .. 15 within the fragment) and column (0 .. 7) of accumulator element i.
__device__ inline int acc_row(int i) {
  return lane_group() + 8 * (i / 2);
}
__device__ inline int acc_col(int i) {
  return 2 * lane_thread() + i % 2;
}

// The sum (or max) of v over the 4 lanes of this lane's group: the lanes that hold one
// accumulator row. Every lane of the warp must call it.
__device__ inline float group_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}
__device__ inline float group_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

// Row tile [kRows, kD] of bf16 (stride padded_stride(kD)): tile[r, d] = rows[r * ld + d] for
// r < valid_rows and d < D, 0 elsewhere. Each thread converts pairs of adjacent d (consecutive
// threads, consecutive pairs: coalesced). All kThreads threads of the block call it; the caller
// synchronises before the tile is read.
template <int kRows, int kD, int kThreads>
__device__ void load_row_tile(bf16* tile, const float* rows, int64_t ld, int64_t valid_rows,
                              int64_t D) {
  constexpr int kPairs = kD / 2;
  for (int e = static_cast<int>(threadIdx.x); e < kRows * kPairs; e += kThreads) {
    const int r = e / kPairs, d = 2 * (e % kPairs);
    const float* row = rows + r * ld;
    const bool real = r < valid_rows;
    const float lo = real && d < D ? row[d] : 0.0f;
    const float hi = real && d + 1 < D ? row[d + 1] : 0.0f;
    *reinterpret_cast<__nv_bfloat162*>(tile + r * padded_stride(kD) + d) =
        __floats2bfloat162_rn(lo, hi);
  }
}

// Transposed tile [kD, kRows] of bf16 (stride padded_stride(kRows)): tile[d, r] = rows[r * ld +
// d], zero-filled as load_row_tile. Each thread converts a pair of adjacent rows at one d.
template <int kRows, int kD, int kThreads>
__device__ void load_transposed_tile(bf16* tile, const float* rows, int64_t ld, int64_t valid_rows,
                                     int64_t D) {
  constexpr int kRowPairs = kRows / 2;
  for (int e = static_cast<int>(threadIdx.x); e < kRowPairs * kD; e += kThreads) {
    const int d = e % kD, r = 2 * (e / kD);
    const bool column = d < D;
    const float lo = column && r < valid_rows ? rows[r * ld + d] : 0.0f;
    const float hi = column && r + 1 < valid_rows ? rows[(r + 1) * ld + d] : 0.0f;
    *reinterpret_cast<__nv_bfloat162*>(tile + d * padded_stride(kRows) + r) =
        __floats2bfloat162_rn(lo, hi);
  }
}

}  // namespace retune::ops::cuda::mma
