// Parameter gradients that are sums over rows (a norm's dweight and dbias), deterministic and
// without float atomics: the rows are split into fixed chunks, one kernel writes each chunk's
// per-column sum (in row order) to a scratch [chunks, C], and a second adds the chunks' sums in
// chunk order to the gradient. The chunking depends only on N, so the result does too.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ops/cuda/launch.cuh"
#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda {

namespace column_sums_detail {

inline constexpr int kThreads = 256;             // columns per block
inline constexpr int64_t kMinRowsPerChunk = 32;  // fewer rows would make the second pass long
inline constexpr int64_t kMaxChunks = 256;       // bounds the scratch at 256 * C floats

// partial[chunk, c] = sum of term(n, c) over the chunk's rows, for the chunk blockIdx.y and
// the column of this thread.
template <typename Term>
__global__ void chunk_column_sums(Term term, int64_t N, int64_t C, int64_t rows_per_chunk,
                                  float* partial) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * rows_per_chunk;
  const int64_t end = begin + rows_per_chunk < N ? begin + rows_per_chunk : N;
  float sum = 0;
  for (int64_t n = begin; n < end; ++n) sum += term(n, c);
  partial[static_cast<int64_t>(blockIdx.y) * C + c] = sum;
}

// out[c] += sum over chunks of partial[chunk, c], in chunk order.
static __global__ void add_chunk_sums(const float* partial, int64_t chunks, int64_t C, float* out) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float sum = 0;
  for (int64_t k = 0; k < chunks; ++k) sum += partial[k * C + c];
  out[c] += sum;
}

}  // namespace column_sums_detail

// The term of a plain column sum: element (n, c) of a row-major [N, C] matrix (a bias's gradient).
struct MatrixElement {
  const float* matrix;
  int64_t C;
  __device__ float operator()(int64_t n, int64_t c) const { return matrix[n * C + c]; }
};

// out[c] += sum over n < N of term(n, c) for c < C, where term is a copyable functor with a
// `__device__ float operator()(int64_t n, int64_t c) const` reading device memory. `name`
// names the kernels in launch errors.
template <typename Term>
void add_column_sums(const Term& term, int64_t N, int64_t C, float* out, const char* name) {
  using namespace column_sums_detail;
  if (N == 0 || C == 0) return;
  const int64_t wanted_chunks = std::clamp<int64_t>(N / kMinRowsPerChunk, 1, kMaxChunks);
  const int64_t rows_per_chunk = (N + wanted_chunks - 1) / wanted_chunks;
  const int64_t chunks = (N + rows_per_chunk - 1) / rows_per_chunk;
  const Scratch<float> partial(chunks * C);
  const dim3 grid(blocks_for(C, kThreads), static_cast<unsigned>(chunks));
  chunk_column_sums<<<grid, kThreads, 0, stream()>>>(term, N, C, rows_per_chunk, partial.data());
  check_launch(name);
  add_chunk_sums<<<blocks_for(C, kThreads), kThreads, 0, stream()>>>(partial.data(), chunks, C,
                                                                     out);
  check_launch(name);
}

}  // namespace retune::ops::cuda
