// A row's logsumexp on the GPU, for the output heads' row kernels (cross_entropy_rows.cu,
// kl_divergence_rows.cu): each thread keeps a running (max, sum of exp(x - max)) pair over its
// strided share of the row, one exponential per value, and the block combines the pairs. Built
// only with RETUNE_CUDA.
#pragma once

#include <cfloat>
#include <cstdint>

namespace retune::ops::cuda {

// A running (max, sum of exp(value - max)) pair; combining two is associative. {-FLT_MAX, 0} is
// the empty pair.
struct SoftmaxSum {
  float max;
  float sum;
};

__device__ inline SoftmaxSum combine(SoftmaxSum a, SoftmaxSum b) {
  if (a.max == -FLT_MAX) return b;
  if (b.max == -FLT_MAX) return a;
  const float max = fmaxf(a.max, b.max);
  return {max, a.sum * expf(a.max - max) + b.sum * expf(b.max - max)};
}

// The block's combined pair, in every thread (shared: kThreads / 32 pairs). Every thread of the
// block calls it; calls may follow each other directly.
template <int kThreads>
__device__ SoftmaxSum block_combine(SoftmaxSum mine, SoftmaxSum* shared) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const SoftmaxSum other{__shfl_xor_sync(0xffffffffu, mine.max, offset),
                           __shfl_xor_sync(0xffffffffu, mine.sum, offset)};
    mine = combine(mine, other);
  }
  const int warp = threadIdx.x / 32;
  if (threadIdx.x % 32 == 0) shared[warp] = mine;
  __syncthreads();
  SoftmaxSum total{-FLT_MAX, 0.0f};
  for (int w = 0; w < kThreads / 32; ++w) total = combine(total, shared[w]);
  __syncthreads();
  return total;
}

// log sum exp(row[v]) over v < V, by a block of kThreads threads striding over the row; every
// thread receives it. One exponential per value: a larger value rescales the thread's sum. A NaN
// takes that branch too, making the pair's max and sum NaN: the lse is NaN, as on the CPU,
// instead of the NaN being dropped with an empty pair's (-FLT_MAX) max.
template <int kThreads>
__device__ float row_logsumexp(const float* row, int64_t V, SoftmaxSum* shared) {
  SoftmaxSum mine{-FLT_MAX, 0.0f};
  for (int64_t v = threadIdx.x; v < V; v += kThreads) {
    const float x = row[v];
    if (!(x <= mine.max)) {
      mine.sum = mine.sum * __expf(mine.max - x) + 1.0f;
      mine.max = x;
    } else {
      mine.sum += __expf(x - mine.max);
    }
  }
  const SoftmaxSum total = block_combine<kThreads>(mine, shared);
  return total.max + logf(total.sum);
}

}  // namespace retune::ops::cuda
