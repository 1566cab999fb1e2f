// Warp-level tensor-core products for kernels that keep their tiles in shared memory: PTX's
// mma.sync m16n8k16 with bf16 operands and f32 accumulators (sm_80 and later), with the operand
// fragments read from bf16 tiles by ldmatrix. Built only with RETUNE_CUDA.
//
// A warp's lane l is (group g = l / 4, thread t = l % 4). For D[16, 8] += A[16, 16] B[16, 8]:
//   A: a[0] = A[g, 2t..2t+1], a[1] = A[g+8, 2t..], a[2] = A[g, 2t+8..], a[3] = A[g+8, 2t+8..]
//   B: b[0] = B[2t..2t+1, g], b[1] = B[2t+8..2t+9, g]
//   D: d[0..1] = D[g, 2t..2t+1], d[2..3] = D[g+8, 2t..2t+1]
// (each a and b register holds two bf16, the lower index in the low half). So an accumulator
// pair of adjacent n-blocks, D[:, 16c .. 16c+15], is exactly the A fragment of k-chunk c of a
// following product once rounded to bf16 (to_a_fragment).
//
// Tiles are row-major bf16 with a padded row stride (padded_stride): its rows 16 bytes longer
// than their values, so the 8 rows an ldmatrix phase reads start in 8 different 4-bank groups.
// ldmatrix.x4 reads four 8 x 8 blocks, lanes 8i .. 8i + 7 giving the addresses of block i's rows,
// and hands lane l the pair (row l / 4, columns 2 (l % 4) ..) of each block, or with .trans the
// pair (rows 2 (l % 4) .., column l / 4): exactly the fragments above, of A and of B stored with
// n as rows (B^T row-major: load_b_pair) or with k as rows (B row-major: load_b_pair_trans).
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

// The shared-memory address of p, for ldmatrix.
__device__ inline uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// The A fragment of rows m0 .. m0+15 and columns 16 kc .. 16 kc + 15 of a tile with row stride
// `stride`.
__device__ inline void load_a(uint32_t (&a)[4], const bf16* tile, int stride, int m0, int kc) {
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  const int row = m0 + lane % 8 + 8 * (lane / 8 % 2), col = 16 * kc + 8 * (lane / 16);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
               : "r"(shared_address(tile + row * stride + col)));
}

// The B fragments of n-blocks n0 (b0) and n0 + 8 (b1) for k-chunk kc of B[k, n] = tile[n, k]
// (a tile whose rows are B's columns: keys for q k^T).
__device__ inline void load_b_pair(uint32_t (&b0)[2], uint32_t (&b1)[2], const bf16* tile,
                                   int stride, int n0, int kc) {
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  const int row = n0 + lane % 8 + 8 * (lane / 16), col = 16 * kc + 8 * (lane / 8 % 2);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(b0[0]), "=r"(b0[1]), "=r"(b1[0]), "=r"(b1[1])
               : "r"(shared_address(tile + row * stride + col)));
}

// The B fragments of n-blocks n0 (b0) and n0 + 8 (b1) for k-chunk kc of B[k, n] = tile[k, n]
// (a tile whose rows are B's rows: values for P v).
__device__ inline void load_b_pair_trans(uint32_t (&b0)[2], uint32_t (&b1)[2], const bf16* tile,
                                         int stride, int n0, int kc) {
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  const int row = 16 * kc + lane % 8 + 8 * (lane / 8 % 2), col = n0 + 8 * (lane / 16);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(b0[0]), "=r"(b0[1]), "=r"(b1[0]), "=r"(b1[1])
               : "r"(shared_address(tile + row * stride + col)));
}

// Where a tile holds B: its rows are B's columns (B[k, n] = tile[n, k]: keys for q k^T) or B's
// rows (B[k, n] = tile[k, n]: values for P v).
enum class BRows { n, k };

// The B fragments of n-blocks n0 and n0 + 8 for k-chunk kc (load_b_pair or load_b_pair_trans).
template <BRows kRows>
__device__ __forceinline__ void load_b_pairs(uint32_t (&b0)[2], uint32_t (&b1)[2], const bf16* tile,
                                             int stride, int n0, int kc) {
  if constexpr (kRows == BRows::n) {
    load_b_pair(b0, b1, tile, stride, n0, kc);
  } else {
    load_b_pair_trans(b0, b1, tile, stride, n0, kc);
  }
}

// acc[n] += a B_n over the kBlocks n-blocks of B: the products of one k-chunk kc.
template <BRows kRows, int kBlocks>
__device__ __forceinline__ void add_products(float (&acc)[kBlocks][4], const uint32_t (&a)[4],
                                             const bf16* tile, int stride, int kc) {
#pragma unroll
  for (int n = 0; n < kBlocks; n += 2) {
    uint32_t b0[2];
    uint32_t b1[2];
    load_b_pairs<kRows>(b0, b1, tile, stride, 8 * n, kc);
    mma_bf16(acc[n], a, b0);
    mma_bf16(acc[n + 1], a, b1);
  }
}

// add_products for two products at once, their loads and products interleaved (the backward's
// scores and dP, or dv and dk, over one tile).
template <BRows kRows, int kBlocks>
__device__ __forceinline__ void add_two_products(float (&acc0)[kBlocks][4], const uint32_t (&a0)[4],
                                                 const bf16* tile0, float (&acc1)[kBlocks][4],
                                                 const uint32_t (&a1)[4], const bf16* tile1,
                                                 int stride, int kc) {
#pragma unroll
  for (int n = 0; n < kBlocks; n += 2) {
    uint32_t b00[2];
    uint32_t b01[2];
    uint32_t b10[2];
    uint32_t b11[2];
    load_b_pairs<kRows>(b00, b01, tile0, stride, 8 * n, kc);
    load_b_pairs<kRows>(b10, b11, tile1, stride, 8 * n, kc);
    mma_bf16(acc0[n], a0, b00);
    mma_bf16(acc0[n + 1], a0, b01);
    mma_bf16(acc1[n], a1, b10);
    mma_bf16(acc1[n + 1], a1, b11);
  }
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

// The column (0 .. 7 within its n-block) of accumulator element i; its row is lane_group() +
// 8 (i / 2).
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

}  // namespace retune::ops::cuda::mma
