// attention_backward on the GPU (ops/cuda/attention.h), the FlashAttention-2 way: delta =
// rowsum(dout * out) first; then the probabilities P = exp(scale q k - lse) are recomputed
// tile by tile, with dP = dout v^T and dS = P * (dP - delta), by two kernels that each own
// their outputs (no atomics): dk and dv per key tile over the query tiles that see it, dq per
// query tile over the key tiles it sees. Head dims up to 128 take the tensor-core kernels
// (attention_tensor_cores.cuh), larger ones the f32 kernels here.
#include "ops/cuda/attention.h"
#include "ops/cuda/attention_tensor_cores.cuh"
#include "ops/cuda/attention_tiles.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda {
namespace attention {
namespace {

constexpr int kDeltaThreads = 256;

// delta[b, h, t] = sum_d dout[b, t, h, d] * out[b, t, h, d] ([B, Hq, T]): one warp per
// (b, t, h) row.
__global__ void __launch_bounds__(kDeltaThreads)
    delta_kernel(Dims s, const float* dout, const float* out, float* delta) {
  const int64_t row = (blockIdx.x * int64_t{kDeltaThreads} + threadIdx.x) / 32;  // (b T + t) Hq + h
  const int lane = static_cast<int>(threadIdx.x % 32);
  if (row >= s.batch * s.tokens * s.q_heads) return;  // the whole warp: row is the warp's
  float sum = 0.0f;
  for (int64_t d = lane; d < s.head_dim; d += 32) {
    sum += dout[row * s.head_dim + d] * out[row * s.head_dim + d];
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const int64_t h = row % s.q_heads;
  const int64_t b = row / s.q_heads / s.tokens;
  const int64_t t = row / s.q_heads % s.tokens;
  if (lane == 0) delta[s.row_stat(b, h, t)] = sum;
}

// Shared memory of the dk/dv kernel: the key tile's keys and values, a query tile's queries and
// dout, P^T and dS^T, the query tile's lse, delta and document ids, and the key tile's ids.
template <int kD>
constexpr size_t key_grads_shared_bytes() {
  using T = Tiling<kD>;
  return (4 * T::kRowTileFloats + 2 * T::kScoreTileFloats + 4 * T::kTile) * sizeof(float);
}

// One block per (key tile, batch row b, kv head g), the first key tiles (which the most queries
// see) first: dk and dv of the tile's keys, overwritten (a null one skipped). It walks the
// query heads of g and, for each, the query tiles from the one holding the tile's first key on
// (earlier queries see none of its keys), summing in registers
//   dv_j += sum_i P_ij dout_i,   dk_j += scale sum_i dS_ij q_i.
// A thread owns the keys ty + 16 a: their transposed scores with the queries tx + 8 c of each
// query tile, and their dk and dv at the columns tx + 8 c.
template <int kD>
__global__ void __launch_bounds__(kThreads)
    key_grads_kernel(BackwardArgs args, float* dk, float* dv) {
  using T = Tiling<kD>;
  const Dims& s = args.s;
  extern __shared__ float shared[];
  float* k_tile = shared;                           // [kTile, kD] keys k0 ..
  float* v_tile = k_tile + T::kRowTileFloats;       // [kTile, kD] values k0 ..
  float* q_tile = v_tile + T::kRowTileFloats;       // [kTile, kD] queries q0 ..
  float* dout_tile = q_tile + T::kRowTileFloats;    // [kTile, kD] dout of queries q0 ..
  float* pt_tile = dout_tile + T::kRowTileFloats;   // [kTile, kTile] P^T, key x query
  float* dst_tile = pt_tile + T::kScoreTileFloats;  // [kTile, kTile] dS^T, key x query
  float* row_lse = dst_tile + T::kScoreTileFloats;  // [kTile] lse of queries q0 ..
  float* row_delta = row_lse + T::kTile;            // [kTile] delta of queries q0 ..
  auto* row_docs = reinterpret_cast<int32_t*>(row_delta + T::kTile);  // [kTile] of queries
  int32_t* key_docs = row_docs + T::kTile;                            // [kTile] of keys

  const int64_t kv_heads = s.batch * s.kv_heads;
  const int64_t b = blockIdx.x % kv_heads / s.kv_heads;
  const int64_t g = blockIdx.x % kv_heads % s.kv_heads;
  const int64_t k0 = blockIdx.x / kv_heads * T::kTile;
  const int64_t keys = min(int64_t{T::kTile}, s.tokens - k0);
  const int64_t ldq = s.q_heads * s.head_dim;
  const int64_t ldkv = s.kv_heads * s.head_dim;
  const int ty = thread_row(), tx = thread_col();
  const bool has_docs = args.doc_ids != nullptr;
  const int32_t* docs = has_docs ? args.doc_ids + b * s.tokens : nullptr;

  load_row_tile<kD>(k_tile, args.k + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
  load_row_tile<kD>(v_tile, args.v + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
  if (threadIdx.x < T::kTile) {
    const int64_t j = k0 + threadIdx.x;
    key_docs[threadIdx.x] = has_docs && j < s.tokens ? docs[j] : 0;
  }
  RowTile<kD> dk_sum;
  RowTile<kD> dv_sum;
  zero<kD>(dk_sum);
  zero<kD>(dv_sum);

  for (int64_t h = g * s.group(); h < (g + 1) * s.group(); ++h) {
    for (int64_t q0 = k0; q0 < s.tokens; q0 += T::kTile) {
      __syncthreads();  // nobody reads the previous query tile any more
      load_query_stats<T::kTile>(args, b, h, q0, docs, row_lse, row_delta, row_docs);
      __syncthreads();
      // Element (a, c) of a thread's share: key k0 + ty + 16 a, query q0 + tx + 8 c.
      auto seen = [&](int a, int c) {
        const int key = ty + kThreadRows * a, query = tx + kThreadCols * c;
        return sees(s, q0 + query, k0 + key, has_docs, row_docs[query], key_docs[key]);
      };
      if (has_docs && !__syncthreads_or(sees_any<kD>(seen))) continue;
      const int64_t rows = min(int64_t{T::kTile}, s.tokens - q0);
      load_row_tile<kD>(q_tile, args.q + s.q_row(b, q0, h), ldq, rows, s.head_dim);
      load_row_tile<kD>(dout_tile, args.dout + s.q_row(b, q0, h), ldq, rows, s.head_dim);
      __syncthreads();

      ScoreTile<kD> p;  // P^T: the scores k q^T, then the probabilities (0 where masked)
      tile_scores<kD>(k_tile, q_tile, p);
#pragma unroll
      for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
        for (int c = 0; c < T::kColsPerThread; ++c) {
          const int query = tx + kThreadCols * c;
          p[a][c] = seen(a, c) ? expf(args.scale * p[a][c] - row_lse[query]) : 0.0f;
        }
      }
      store_scores<kD>(p, pt_tile);
      if (dk) {
        ScoreTile<kD> ds;  // dS^T: dP^T = v dout^T, then P^T * (dP^T - delta)
        tile_scores<kD>(v_tile, dout_tile, ds);
#pragma unroll
        for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
          for (int c = 0; c < T::kColsPerThread; ++c) {
            ds[a][c] = p[a][c] * (ds[a][c] - row_delta[tx + kThreadCols * c]);
          }
        }
        store_scores<kD>(ds, dst_tile);
      }
      __syncthreads();
      if (dv) add_weighted_rows<kD>(pt_tile, dout_tile, dv_sum);  // dv += P^T dout
      if (dk) add_weighted_rows<kD>(dst_tile, q_tile, dk_sum);    // dk += dS^T q (scaled below)
    }
  }
  if (dk) store_rows<kD>(dk_sum, args.scale, dk + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
  if (dv) store_rows<kD>(dv_sum, 1.0f, dv + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
}

// Shared memory of the dq kernel: the query tile's queries and dout, a key and a value tile,
// dS, and the key tile's document ids.
template <int kD>
constexpr size_t query_grads_shared_bytes() {
  using T = Tiling<kD>;
  return (4 * T::kRowTileFloats + T::kScoreTileFloats + T::kTile) * sizeof(float);
}

// One block per (query tile, batch row b, query head h), the last query tiles first: dq of the
// tile's queries, overwritten. It walks the key tiles from key 0 to the tile's last query,
// summing in registers dq_i += scale sum_j dS_ij k_j. A thread owns the query rows ty + 16 a:
// their scores with the keys tx + 8 c of each key tile, and their dq at the columns tx + 8 c.
template <int kD>
__global__ void __launch_bounds__(kThreads) query_grads_kernel(BackwardArgs args, float* dq) {
  using T = Tiling<kD>;
  const Dims& s = args.s;
  extern __shared__ float shared[];
  float* q_tile = shared;                         // [kTile, kD] queries q0 ..
  float* dout_tile = q_tile + T::kRowTileFloats;  // [kTile, kD] dout of queries q0 ..
  float* k_tile = dout_tile + T::kRowTileFloats;  // [kTile, kD] keys k0 ..
  float* v_tile = k_tile + T::kRowTileFloats;     // [kTile, kD] values k0 ..
  float* ds_tile = v_tile + T::kRowTileFloats;    // [kTile, kTile] dS, query x key
  auto* key_docs = reinterpret_cast<int32_t*>(ds_tile + T::kScoreTileFloats);  // [kTile]

  const auto [b, h, g, q0, rows] = query_tile_of_block<T::kTile>(s);
  const int64_t key_end = q0 + rows;  // the tile's queries see keys [0, key_end) at most
  const int64_t ldq = s.q_heads * s.head_dim;
  const int64_t ldkv = s.kv_heads * s.head_dim;
  const int ty = thread_row(), tx = thread_col();
  const bool has_docs = args.doc_ids != nullptr;
  const int32_t* docs = has_docs ? args.doc_ids + b * s.tokens : nullptr;

  load_row_tile<kD>(q_tile, args.q + s.q_row(b, q0, h), ldq, rows, s.head_dim);
  load_row_tile<kD>(dout_tile, args.dout + s.q_row(b, q0, h), ldq, rows, s.head_dim);
  int32_t row_doc[T::kRowsPerThread];
  float row_lse[T::kRowsPerThread];
  float row_delta[T::kRowsPerThread];
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
    const int64_t i = q0 + ty + kThreadRows * a;
    const bool real = i < s.tokens;
    row_doc[a] = has_docs && real ? docs[i] : 0;
    row_lse[a] = real ? args.lse[s.row_stat(b, h, i)] : 0.0f;
    row_delta[a] = real ? args.delta[s.row_stat(b, h, i)] : 0.0f;
  }
  RowTile<kD> dq_sum;
  zero<kD>(dq_sum);

  for (int64_t k0 = 0; k0 < key_end; k0 += T::kTile) {
    __syncthreads();  // q_tile and dout_tile are loaded; nobody reads the previous key tile
    auto key_doc = [&](int c) { return has_docs ? key_docs[tx + kThreadCols * c] : 0; };
    auto seen = [&](int a, int c) {
      return sees(s, q0 + ty + kThreadRows * a, k0 + tx + kThreadCols * c, has_docs, row_doc[a],
                  key_doc(c));
    };
    if (has_docs) {
      const int64_t j = k0 + threadIdx.x;
      if (threadIdx.x < T::kTile) key_docs[threadIdx.x] = j < key_end ? docs[j] : 0;
      __syncthreads();
      if (!__syncthreads_or(sees_any<kD>(seen))) continue;  // no query sees a key of the tile
    }
    const int64_t keys = min(int64_t{T::kTile}, key_end - k0);
    load_row_tile<kD>(k_tile, args.k + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
    load_row_tile<kD>(v_tile, args.v + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
    __syncthreads();

    ScoreTile<kD> p;  // the scores q k^T, then the probabilities (0 where masked)
    tile_scores<kD>(q_tile, k_tile, p);
    ScoreTile<kD> ds;  // dP = dout v^T, then dS = P * (dP - delta)
    tile_scores<kD>(dout_tile, v_tile, ds);
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a) {
#pragma unroll
      for (int c = 0; c < T::kColsPerThread; ++c) {
        p[a][c] = seen(a, c) ? expf(args.scale * p[a][c] - row_lse[a]) : 0.0f;
        ds[a][c] = p[a][c] * (ds[a][c] - row_delta[a]);
      }
    }
    store_scores<kD>(ds, ds_tile);
    __syncthreads();
    add_weighted_rows<kD>(ds_tile, k_tile, dq_sum);  // dq += dS k (scaled below)
  }
  store_rows<kD>(dq_sum, args.scale, dq + s.q_row(b, q0, h), ldq, rows, s.head_dim);
}

template <int kD>
void launch_gradients(const BackwardArgs& args, float* dq, float* dk, float* dv) {
  using T = Tiling<kD>;
  const int64_t tiles = (args.s.tokens + T::kTile - 1) / T::kTile;
  if (dk || dv) {
    const size_t bytes = key_grads_shared_bytes<kD>();
    allow_shared_memory(key_grads_kernel<kD>, bytes,
                        "attention backward (dk, dv): its shared memory");
    const auto blocks = static_cast<unsigned>(args.s.batch * args.s.kv_heads * tiles);
    key_grads_kernel<kD><<<blocks, kThreads, bytes, stream()>>>(args, dk, dv);
    check_launch("attention backward (dk, dv)");
  }
  if (dq) {
    const size_t bytes = query_grads_shared_bytes<kD>();
    allow_shared_memory(query_grads_kernel<kD>, bytes,
                        "attention backward (dq): its shared memory");
    const auto blocks = static_cast<unsigned>(args.s.batch * args.s.q_heads * tiles);
    query_grads_kernel<kD><<<blocks, kThreads, bytes, stream()>>>(args, dq);
    check_launch("attention backward (dq)");
  }
}

}  // namespace
}  // namespace attention

void attention_backward(const cpu::AttentionInputs& in, const float* dout, const float* out,
                        const float* lse, float* dq, float* dk, float* dv) {
  if (!dq && !dk && !dv) return;
  const int64_t kv_floats = in.batch * in.tokens * in.kv_heads * in.head_dim;
  if (in.batch * in.tokens * in.q_heads == 0) {  // no query: dk and dv are zeros (or empty)
    if (dk) retune::cuda::zero_bytes(dk, static_cast<size_t>(kv_floats) * sizeof(float));
    if (dv) retune::cuda::zero_bytes(dv, static_cast<size_t>(kv_floats) * sizeof(float));
    return;
  }
  const attention::Dims s = attention::dims_of(in);
  const int64_t rows = in.batch * in.tokens * in.q_heads;
  const Scratch<float> delta(rows);
  attention::delta_kernel<<<blocks_for(rows * 32, attention::kDeltaThreads),
                            attention::kDeltaThreads, 0, stream()>>>(s, dout, out, delta.data());
  check_launch("attention backward (delta)");
  const attention::BackwardArgs args{s,        in.q, in.k, in.v,        in.doc_ids,
                                     in.scale, dout, lse,  delta.data()};
  if (attention::on_tensor_cores(in.head_dim)) {
    return attention::tensor_core_gradients(in, args, dq, dk, dv);
  }
  attention::with_padded_head_dim(in.head_dim, [&](auto head_dim) {
    attention::launch_gradients<decltype(head_dim)::value>(args, dq, dk, dv);
  });
}

}  // namespace retune::ops::cuda
