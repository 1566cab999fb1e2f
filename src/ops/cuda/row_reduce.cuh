// What the per-row CUDA kernels share (rmsnorm, layernorm, softmax, the clip's sums): one block
// per row, threads striding over the row's columns, and block-wide reductions by warp shuffles.
// A reduction adds in a fixed order for a given block size, so its result is deterministic, and
// every thread of the block receives the same total.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace retune::ops::cuda {

// Threads of a row kernel's block: a multiple of the warp size (the reductions rely on it).
inline constexpr int kRowThreads = 256;

// Blocks of a row kernel: one per row, up to a cap past which each block loops over several
// rows (`for (row = blockIdx.x; row < rows; row += gridDim.x)`).
inline unsigned row_blocks(int64_t rows) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;
  return static_cast<unsigned>(std::clamp<int64_t>(rows, 1, kMaxBlocks));
}

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Reduces over the 32 lanes of a warp (butterfly: every lane ends with the same value, since
// each step combines the same two operands in both lanes of a pair).
template <typename T, typename Op>
__device__ T warp_reduce(T value, Op op) {
  for (int offset = 16; offset > 0; offset /= 2) {
    value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  return value;
}

// Reduces `value` over the block (blockDim.x a multiple of 32, at most 1024) and returns the
// result to every thread. `identity` is the op's neutral element. Every thread of the block must
// call it (it synchronises); calls may follow each other directly.
template <typename T, typename Op>
__device__ T block_reduce(T value, Op op, T identity) {
  __shared__ T warp_results[32];
  const unsigned lane = threadIdx.x % 32;
  const unsigned warp = threadIdx.x / 32;
  value = warp_reduce(value, op);
  __syncthreads();  // the previous call's readers are done with warp_results
  if (lane == 0) warp_results[warp] = value;
  __syncthreads();
  // Every warp reduces the warps' results the same way, so every thread gets the same total.
  value = lane < blockDim.x / 32 ? warp_results[lane] : identity;
  return warp_reduce(value, op);
}

template <typename T>
__device__ T block_sum(T value) {
  return block_reduce(value, SumOp{}, T{0});
}

__device__ inline float block_max(float value) {
  return block_reduce(value, MaxOp{}, -INFINITY);
}

}  // namespace retune::ops::cuda
