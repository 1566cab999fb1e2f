// The tiles every attention kernel (ops/cuda/attention.h) is built from: shared-memory tiles
// of rows of q, k, v or dout, each thread's share of a score tile, the causal and document
// mask, and the two register-tiled products (scores of two row tiles; a score tile times a row
// tile). Built only with RETUNE_CUDA.
//
// Every block has kThreads threads, seen as a grid of 16 thread rows x 8 thread columns:
// thread (ty, tx) = (threadIdx.x / 8, threadIdx.x % 8), so the 8 threads of a thread row are 8
// adjacent lanes of one warp (row reductions are shuffles among them). Of a [rows, cols] tile a
// thread owns the elements (ty + 16 a, tx + 8 c): rows strided by 16, columns strided by 8, so
// that a warp's shared-memory reads hit distinct banks or broadcast.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/cuda/runtime.h"
#include "ops/cpu/attention.h"
#include "ops/cuda/attention.h"

namespace retune::ops::cuda::attention {

constexpr int kThreads = 128;
constexpr int kThreadCols = 8;
constexpr int kThreadRows = kThreads / kThreadCols;  // 16
constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// The head dims a kernel is compiled for: D (<= kAttentionMaxHeadDim) is padded with zero
// columns up to the next of these (zeros add nothing to the dot products; the padding columns
// are never written).
constexpr int padded_head_dim(int64_t D) {
  return D <= 32 ? 32 : D <= 64 ? 64 : D <= 128 ? 128 : 256;
}

// The tiling for padded head dim kD. A query tile and a key tile have the same kTile rows
// (so the query tile holding query i and the key tile holding key i have the same index).
// Row tiles of q, k, v, dout are [kTile, kD] in shared memory with row stride kD + 1 (odd: a
// warp reading one column of 4 or 8 rows hits distinct banks); score tiles are [kTile, kTile]
// with row stride kTile + 8 (a warp writing its 4 x 8 threads' elements hits 32 banks).
template <int kD>
struct Tiling {
  static_assert(kD % kThreadCols == 0);
  static constexpr int kTile = kD <= 128 ? 64 : 32;  // smaller for large D: shared memory
  static constexpr int kRowStride = kD + 1;
  static constexpr int kScoreStride = kTile + 8;
  static constexpr int kRowTileFloats = kTile * kRowStride;
  static constexpr int kScoreTileFloats = kTile * kScoreStride;
  static constexpr int kRowsPerThread = kTile / kThreadRows;   // a = 0 .. of (ty + 16 a)
  static constexpr int kColsPerThread = kTile / kThreadCols;   // c = 0 .. of (tx + 8 c)
  static constexpr int kHeadColsPerThread = kD / kThreadCols;  // of a [kTile, kD] tile
  static_assert(kTile % kThreadRows == 0 && kTile <= kThreads);
};

// A thread's share of a [kTile, kTile] score tile and of a [kTile, kD] row tile.
template <int kD>
using ScoreTile = float[Tiling<kD>::kRowsPerThread][Tiling<kD>::kColsPerThread];
template <int kD>
using RowTile = float[Tiling<kD>::kRowsPerThread][Tiling<kD>::kHeadColsPerThread];

__device__ inline int thread_row() {
  return static_cast<int>(threadIdx.x) / kThreadCols;
}
__device__ inline int thread_col() {
  return static_cast<int>(threadIdx.x) % kThreadCols;
}

// The sizes of ops/cpu/attention.h's AttentionInputs, for kernels. Query i of a batch row sits
// at position past + i; the training kernels have past = 0 and kv_tokens = tokens.
struct Dims {
  int64_t batch, tokens, q_heads, kv_heads, head_dim, kv_tokens, past;

  // Query heads per kv head: query head h reads kv head h / group().
  __host__ __device__ int64_t group() const { return q_heads / kv_heads; }
  // Offsets of row t of head h of batch row b in [B, T, Hq, D] and [B, S, Hkv, D] tensors.
  __device__ int64_t q_row(int64_t b, int64_t t, int64_t h) const {
    return ((b * tokens + t) * q_heads + h) * head_dim;
  }
  __device__ int64_t kv_row(int64_t b, int64_t t, int64_t g) const {
    return ((b * kv_tokens + t) * kv_heads + g) * head_dim;
  }
  // Offset of query t of head h of batch row b in a [B, Hq, T] tensor (lse, delta).
  __device__ int64_t row_stat(int64_t b, int64_t h, int64_t t) const {
    return (b * q_heads + h) * tokens + t;
  }
};

inline Dims dims_of(const cpu::AttentionInputs& in) {
  return {in.batch, in.tokens, in.q_heads, in.kv_heads, in.head_dim, in.kv_tokens, in.past};
}

// The arguments of the gradient kernels (dk and dv, dq).
struct BackwardArgs {
  Dims s;
  const float* q;
  const float* k;
  const float* v;
  const int32_t* doc_ids;  // null: one document per row
  float scale;
  const float* dout;
  const float* lse;    // [B, Hq, T]
  const float* delta;  // [B, Hq, T]
};

// The query tile of this block in a launch of one block per (query tile of kRows, batch row,
// query head), the last query tiles (which see the most keys) first: batch row b, query head h,
// its kv head g, the tile's first query q0 and its real rows.
struct QueryTile {
  int64_t b, h, g, q0, rows;
};
template <int kRows>
__device__ __forceinline__ QueryTile query_tile_of_block(const Dims& s) {
  QueryTile t;
  const int64_t heads = s.batch * s.q_heads;
  const int64_t tiles = (s.tokens + kRows - 1) / kRows;
  t.b = blockIdx.x % heads / s.q_heads;
  t.h = blockIdx.x % heads % s.q_heads;
  t.g = t.h / s.group();
  t.q0 = (tiles - 1 - blockIdx.x / heads) * kRows;
  t.rows = min(int64_t{kRows}, s.tokens - t.q0);
  return t;
}

// Threads 0 .. kRows - 1 put the lse, delta and document id of query q0 + threadIdx.x of head h
// of batch row b (0 for each past the last query) into row_lse, row_delta and row_docs (docs:
// batch row b's document ids, read when args has doc_ids). The dk/dv kernels' per-query-tile
// statistics; the caller synchronises before they are read.
template <int kRows>
__device__ void load_query_stats(const BackwardArgs& args, int64_t b, int64_t h, int64_t q0,
                                 const int32_t* docs, float* row_lse, float* row_delta,
                                 int32_t* row_docs) {
  if (threadIdx.x < kRows) {
    const Dims& s = args.s;
    const int64_t i = q0 + threadIdx.x;
    const bool real = i < s.tokens;
    row_lse[threadIdx.x] = real ? args.lse[s.row_stat(b, h, i)] : 0.0f;
    row_delta[threadIdx.x] = real ? args.delta[s.row_stat(b, h, i)] : 0.0f;
    row_docs[threadIdx.x] = args.doc_ids != nullptr && real ? docs[i] : 0;
  }
}

// tile[r, d] = rows[r * ld + d] for r < valid_rows and d < D, 0 elsewhere ([kTile, kD] with
// row stride kD + 1). Consecutive threads read consecutive d of a row (coalesced). All threads
// of the block call it; the caller synchronises before the tile is read.
template <int kD>
__device__ void load_row_tile(float* tile, const float* rows, int64_t ld, int64_t valid_rows,
                              int64_t D) {
  using T = Tiling<kD>;
  for (int e = static_cast<int>(threadIdx.x); e < T::kTile * kD; e += kThreads) {
    const int r = e / kD, d = e % kD;
    tile[r * T::kRowStride + d] = r < valid_rows && d < D ? rows[r * ld + d] : 0.0f;
  }
}

// Whether query i (position past + i) sees key j: causal, a real query row (i < T; tiles are
// padded past T), and, with documents, the same document. doc_i and doc_j are the documents'
// ids (ignored when has_docs is false).
__device__ inline bool sees(const Dims& s, int64_t i, int64_t j, bool has_docs, int32_t doc_i,
                            int32_t doc_j) {
  return i < s.tokens && j <= s.past + i && (!has_docs || doc_i == doc_j);
}

// Whether seen(a, c) holds for an element (ty + 16 a, tx + 8 c) of the thread's share of a
// score tile.
template <int kD, typename Seen>
__device__ bool sees_any(Seen seen) {
  using T = Tiling<kD>;
  bool any = false;
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
    for (int c = 0; c < T::kColsPerThread; ++c) any = any || seen(a, c);
  }
  return any;
}

// acc[a][c] = sum_d A[ty + 16 a, d] * B[tx + 8 c, d] for two [kTile, kD] row tiles in shared
// memory: the thread's share of the [kTile, kTile] tile A B^T.
template <int kD>
__device__ void tile_scores(const float* A, const float* B, ScoreTile<kD>& acc) {
  using T = Tiling<kD>;
  const int ty = thread_row(), tx = thread_col();
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
    for (int c = 0; c < T::kColsPerThread; ++c) acc[a][c] = 0.0f;
  }
#pragma unroll 4
  for (int d = 0; d < kD; ++d) {
    float x[T::kRowsPerThread];
    float y[T::kColsPerThread];
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a)
      x[a] = A[(ty + kThreadRows * a) * T::kRowStride + d];
#pragma unroll
    for (int c = 0; c < T::kColsPerThread; ++c)
      y[c] = B[(tx + kThreadCols * c) * T::kRowStride + d];
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
      for (int c = 0; c < T::kColsPerThread; ++c) acc[a][c] = fmaf(x[a], y[c], acc[a][c]);
    }
  }
}

// acc[a][c] += sum_n W[ty + 16 a, n] * X[n, tx + 8 c] for a [kTile, kTile] score tile W and a
// [kTile, kD] row tile X in shared memory: the thread's share of W X, added.
template <int kD>
__device__ void add_weighted_rows(const float* W, const float* X, RowTile<kD>& acc) {
  using T = Tiling<kD>;
  const int ty = thread_row(), tx = thread_col();
#pragma unroll 4
  for (int n = 0; n < T::kTile; ++n) {
    float w[T::kRowsPerThread];
    float x[T::kHeadColsPerThread];
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a)
      w[a] = W[(ty + kThreadRows * a) * T::kScoreStride + n];
#pragma unroll
    for (int c = 0; c < T::kHeadColsPerThread; ++c)
      x[c] = X[n * T::kRowStride + tx + kThreadCols * c];
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
      for (int c = 0; c < T::kHeadColsPerThread; ++c) acc[a][c] = fmaf(w[a], x[c], acc[a][c]);
    }
  }
}

// Stores the thread's share of a score tile at its places in W ([kTile, kTile], row stride
// kTile + 8).
template <int kD>
__device__ void store_scores(const ScoreTile<kD>& values, float* W) {
  using T = Tiling<kD>;
  const int ty = thread_row(), tx = thread_col();
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
    for (int c = 0; c < T::kColsPerThread; ++c) {
      W[(ty + kThreadRows * a) * T::kScoreStride + tx + kThreadCols * c] = values[a][c];
    }
  }
}

// Zeroes the thread's share of a row tile.
template <int kD>
__device__ void zero(RowTile<kD>& acc) {
  using T = Tiling<kD>;
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
    for (int c = 0; c < T::kHeadColsPerThread; ++c) acc[a][c] = 0.0f;
  }
}

// x[r * ld + d] = factor * the thread's share of a row tile, for its rows r = ty + 16 a with
// r < valid_rows and columns d < D (x points at the tile's first row).
template <int kD>
__device__ void store_rows(const RowTile<kD>& acc, float factor, float* x, int64_t ld,
                           int64_t valid_rows, int64_t D) {
  using T = Tiling<kD>;
  const int ty = thread_row(), tx = thread_col();
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
    const int r = ty + kThreadRows * a;
    if (r >= valid_rows) continue;
#pragma unroll
    for (int c = 0; c < T::kHeadColsPerThread; ++c) {
      const int d = tx + kThreadCols * c;
      if (d < D) x[r * ld + d] = factor * acc[a][c];
    }
  }
}

// The sum of v over the 8 threads of this thread's thread row (adjacent lanes), in every one
// of them. Every lane of the warp must call it.
__device__ inline float thread_row_sum(float v) {
#pragma unroll
  for (int offset = kThreadCols / 2; offset > 0; offset /= 2) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}
__device__ inline float thread_row_max(float v) {
#pragma unroll
  for (int offset = kThreadCols / 2; offset > 0; offset /= 2) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// Lets `kernel` use `bytes` of dynamic shared memory (more than the default 48 KiB); throws,
// naming `what`, where the device has less.
template <typename Kernel>
void allow_shared_memory(Kernel kernel, size_t bytes, const char* what) {
  retune::cuda::check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(bytes)),
                      what);
}

// Calls f(std::integral_constant<int, kD>{}) for the padded head dim kD of D.
template <typename F>
void with_padded_head_dim(int64_t D, F&& f) {
  switch (padded_head_dim(D)) {
    case 32:
      f(std::integral_constant<int, 32>{});
      break;
    case 64:
      f(std::integral_constant<int, 64>{});
      break;
    case 128:
      f(std::integral_constant<int, 128>{});
      break;
    default:
      f(std::integral_constant<int, 256>{});
      break;
  }
}

}  // namespace retune::ops::cuda::attention
