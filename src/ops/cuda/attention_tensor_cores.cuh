// The tensor-core attention kernels (ops/cuda/attention.h): the same flash-style walks as the
// f32 kernels of attention_forward.cu and attention_backward.cu, with every product on the
// tensor cores (mma_fragments.cuh: bf16 operands, f32 accumulation) and the softmax in f32
// registers. For padded head dims up to kMaxHeadDim; larger ones take the f32 kernels. Built
// only with RETUNE_CUDA.
//
// A block is 4 warps and owns a tile of 64 rows (queries, or keys for dk and dv); warp w owns
// its rows 16 w .. 16 w + 15 and the matching rows of every accumulator. The other side is
// walked in tiles of 64, each tile's rows (from the bf16 copies of PaddedCopies) staged in shared
// memory once and read by all warps.
#pragma once

#include <cstdint>

#include "ops/cuda/attention_tiles.cuh"
#include "ops/cuda/mma_fragments.cuh"
#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda::attention {

namespace tensor_cores {

constexpr int kMaxHeadDim = 128;
constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kTile = 16 * kWarps;  // rows of a block's own tile and of each tile it walks

// The shared-memory tiles and fragment counts of padded head dim kD (bf16 elements).
template <int kD>
struct Tiles {
  static_assert(kD % 16 == 0 && kD <= kMaxHeadDim);
  static constexpr int kRowStride = mma::padded_stride(kD);  // row tile [kTile, kD]
  static constexpr int kRowTile = kTile * kRowStride;
  static constexpr int kDimChunks = kD / 16;     // k-chunks of a product over the head dim
  static constexpr int kDimBlocks = kD / 8;      // n-blocks of an output over the head dim
  static constexpr int kRowChunks = kTile / 16;  // k-chunks of a product over a tile's rows
  static constexpr int kRowBlocks = kTile / 8;   // n-blocks of scores over a tile's rows
};

// This lane's accumulator rows of its warp's 16: m0 + g (r = 0) and m0 + g + 8 (r = 1), where
// m0 = 16 w is the warp's first row of the block's tile.
__device__ inline int warp_first_row() {
  return 16 * static_cast<int>(threadIdx.x / 32);
}
__device__ inline int lane_row(int r) {
  return warp_first_row() + mma::lane_group() + 8 * r;
}

// The kernels read q, k, v and dout from bf16 copies with the head dim padded to kD by zeros
// (rows of kD values, [B, T, H, kD]: every row 16-byte aligned), made by PaddedCopies.
struct PaddedRows {
  const mma::bf16* q;     // [B, T, Hq, kD]
  const mma::bf16* k;     // [B, S, Hkv, kD]
  const mma::bf16* v;     // [B, S, Hkv, kD]
  const mma::bf16* dout;  // [B, T, Hq, kD], backward only
};

// A thread's share of a [kTile, kD] tile of padded bf16 rows in registers, fetched from global
// memory (fetch) before the shared-memory tile it goes to is free, and stored there after: the
// fetch of the next tile runs while the block computes on this one. Vector i holds the 8 values
// at columns 8 (e % (kD / 8)) .. of row e / (kD / 8), e = threadIdx.x + kThreads i: consecutive
// lanes read (and store) consecutive 16 bytes of a row.
template <int kD>
struct TileFetch {
  static constexpr int kVectors = kTile * kD / 8 / kThreads;
  static constexpr int kRowVectors = kD / 8;
  uint4 vectors[kVectors];

  __device__ static int row(int i) {
    return (static_cast<int>(threadIdx.x) + kThreads * i) / kRowVectors;
  }
  __device__ static int col(int i) {
    return 8 * ((static_cast<int>(threadIdx.x) + kThreads * i) % kRowVectors);
  }

  // The tile whose row 0 is at `rows` (rows ld apart); rows >= valid_rows are zeros.
  __device__ void fetch(const mma::bf16* rows, int64_t ld, int64_t valid_rows) {
#pragma unroll
    for (int i = 0; i < kVectors; ++i) {
      vectors[i] = row(i) < valid_rows
                       ? *reinterpret_cast<const uint4*>(rows + row(i) * ld + col(i))
                       : make_uint4(0, 0, 0, 0);
    }
  }
  // Into a row tile [kTile, kD] (stride Tiles<kD>::kRowStride).
  __device__ void store_rows(mma::bf16* tile) const {
#pragma unroll
    for (int i = 0; i < kVectors; ++i) {
      *reinterpret_cast<uint4*>(tile + row(i) * Tiles<kD>::kRowStride + col(i)) = vectors[i];
    }
  }
};

// Stages tile t0 of two row sources of one layout (keys and values, or queries and dout: rows
// [0, end) of padded bf16 copies, ld apart) in first_tile and second_tile, from first and second
// (fetched now unless the previous stage prefetched them: `fetched` names the tile they hold),
// waits for the block, then starts fetching the tile after t0 into them, which runs while the
// block computes on this one. Every thread calls it once nobody reads the tiles any more.
template <int kD>
__device__ __forceinline__ void stage_tile_pair(TileFetch<kD>& first, TileFetch<kD>& second,
                                                int64_t& fetched, const mma::bf16* first_rows,
                                                const mma::bf16* second_rows, int64_t ld,
                                                int64_t end, int64_t t0, mma::bf16* first_tile,
                                                mma::bf16* second_tile) {
  if (fetched != t0) {  // the first tile, or one after a skipped tile
    const int64_t rows = min(int64_t{kTile}, end - t0);
    first.fetch(first_rows + t0 * ld, ld, rows);
    second.fetch(second_rows + t0 * ld, ld, rows);
  }
  first.store_rows(first_tile);
  second.store_rows(second_tile);
  __syncthreads();
  if (const int64_t next = t0 + kTile; next < end) {
    const int64_t rows = min(int64_t{kTile}, end - next);
    first.fetch(first_rows + next * ld, ld, rows);
    second.fetch(second_rows + next * ld, ld, rows);
    fetched = next;
  }
}

// Whether seen(r, col) holds for an element of this lane's share of a [kTile, kTile] score tile
// (accumulator row r = i / 2 of the lane's two, column 8 nb + acc_col(i) of n-block nb). Under
// __syncthreads_or: whether any pair of the tile is seen.
template <typename Seen>
__device__ __forceinline__ bool lane_sees_any(const Seen& seen) {
  bool any = false;
#pragma unroll
  for (int nb = 0; nb < kTile / 8; ++nb) {
#pragma unroll
    for (int i = 0; i < 4; ++i) any = any || seen(i / 2, 8 * nb + mma::acc_col(i));
  }
  return any;
}

// Scratch bf16 copies of q, k, v and (when given) dout with the head dim padded to kD: the
// kernels' PaddedRows, alive as long as this object. Of k and v only the rows a query can see
// are copied, [0, past + T) of each batch row: a KV cache's further rows (up to its capacity S)
// are left unset, and the kernels never read them (their fetches stop at each tile's last key).
class PaddedCopies {
 public:
  PaddedCopies(const cpu::AttentionInputs& in, int kD, const float* dout);
  PaddedRows rows() const;

 private:
  Scratch<mma::bf16> q_, k_, v_, dout_;
};

// Writes factor * acc ([16 rows of the warp, kD] as kDimBlocks accumulators) to x[row * ld + d]
// for the rows row < valid_rows of the block's tile and d < D (x points at the tile's row 0).
template <int kD>
__device__ void store_rows(const float (&acc)[Tiles<kD>::kDimBlocks][4], float factor, float* x,
                           int64_t ld, int64_t valid_rows, int64_t D) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = lane_row(r);
    if (row >= valid_rows) continue;
#pragma unroll
    for (int nd = 0; nd < Tiles<kD>::kDimBlocks; ++nd) {
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const int d = 8 * nd + mma::acc_col(c);
        if (d < D) x[row * ld + d] = factor * acc[nd][2 * r + c];
      }
    }
  }
}

// Calls f(std::integral_constant<int, kD>{}) for the padded head dim kD of D, which must be
// on_tensor_cores.
template <typename F>
void with_tensor_core_head_dim(int64_t D, F&& f) {
  with_padded_head_dim(D, [&](auto head_dim) {
    if constexpr (decltype(head_dim)::value <= kMaxHeadDim) f(head_dim);
  });
}

}  // namespace tensor_cores

// Whether head dim D runs on the tensor-core kernels.
inline bool on_tensor_cores(int64_t D) {
  return padded_head_dim(D) <= tensor_cores::kMaxHeadDim;
}

// As attention_forward (ops/cuda/attention.h), for on_tensor_cores(in.head_dim).
void tensor_core_forward(const cpu::AttentionInputs& in, float* out, float* lse);

// The dk, dv and dq kernels of attention_backward (null outputs skipped), for
// on_tensor_cores(in.head_dim); args.delta is computed.
void tensor_core_gradients(const cpu::AttentionInputs& in, const BackwardArgs& args, float* dq,
                           float* dk, float* dv);

}  // namespace retune::ops::cuda::attention
