// attention_forward on the GPU (ops/cuda/attention.h): the tensor-core kernel where the head
// dim allows (attention_tensor_cores.cuh), else the f32 kernel here, one block per query tile.
#include "ops/cuda/attention.h"
#include "ops/cuda/attention_tensor_cores.cuh"
#include "ops/cuda/attention_tiles.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {
namespace attention {
namespace {

// Shared memory of the forward kernel: the query tile, a key and a value tile, the tile's
// probabilities, and the key tile's document ids.
template <int kD>
constexpr size_t forward_shared_bytes() {
  using T = Tiling<kD>;
  return (3 * T::kRowTileFloats + T::kScoreTileFloats + T::kTile) * sizeof(float);
}

// One block per (query tile, batch row b, query head h), the last query tiles (which see the
// most keys) first: out and lse of the tile's queries. It walks the key tiles from key 0 to
// the tile's last query's own key (past + last) with an online softmax: per query row the
// running max m of its scaled scores, l = sum exp(score - m) and o = sum exp(score - m) v,
// both rescaled by exp(m_old - m_new) whenever m grows. A thread owns the query rows ty + 16 a:
// their scores with the keys tx + 8 c of each key tile, and their o at the columns tx + 8 c.
template <int kD>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(Dims s, const float* q, const float* k, const float* v, const int32_t* doc_ids,
                   float scale, float* out, float* lse) {
  using T = Tiling<kD>;
  extern __shared__ float shared[];
  float* q_tile = shared;                      // [kTile, kD] queries q0 ..
  float* k_tile = q_tile + T::kRowTileFloats;  // [kTile, kD] keys k0 ..
  float* v_tile = k_tile + T::kRowTileFloats;  // [kTile, kD] values k0 ..
  float* p_tile = v_tile + T::kRowTileFloats;  // [kTile, kTile] exp(score - m), query x key
  auto* key_docs = reinterpret_cast<int32_t*>(p_tile + T::kScoreTileFloats);  // [kTile]

  const auto [b, h, g, q0, rows] = query_tile_of_block<T::kTile>(s);
  const int64_t key_end = s.past + q0 + rows;  // the tile's queries see keys [0, key_end) at most
  const int64_t ldq = s.q_heads * s.head_dim;
  const int64_t ldkv = s.kv_heads * s.head_dim;
  const int ty = thread_row(), tx = thread_col();
  const bool has_docs = doc_ids != nullptr;
  const int32_t* docs = has_docs ? doc_ids + b * s.tokens : nullptr;

  load_row_tile<kD>(q_tile, q + s.q_row(b, q0, h), ldq, rows, s.head_dim);
  int32_t row_doc[T::kRowsPerThread];
  float m[T::kRowsPerThread];
  float l[T::kRowsPerThread];  // this thread's keys' share; summed over the thread row at the end
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
    const int64_t i = q0 + ty + kThreadRows * a;
    row_doc[a] = has_docs && i < s.tokens ? docs[i] : 0;
    m[a] = kMinusInfinity;
    l[a] = 0.0f;
  }
  RowTile<kD> o;
  zero<kD>(o);

  for (int64_t k0 = 0; k0 < key_end; k0 += T::kTile) {
    __syncthreads();  // q_tile is loaded; nobody reads the previous key tile any more
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
    load_row_tile<kD>(k_tile, k + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
    load_row_tile<kD>(v_tile, v + s.kv_row(b, k0, g), ldkv, keys, s.head_dim);
    __syncthreads();

    ScoreTile<kD> p;
    tile_scores<kD>(q_tile, k_tile, p);
#pragma unroll
    for (int a = 0; a < T::kRowsPerThread; ++a) {
      float tile_max = kMinusInfinity;
#pragma unroll
      for (int c = 0; c < T::kColsPerThread; ++c) {
        p[a][c] = seen(a, c) ? scale * p[a][c] : kMinusInfinity;
        tile_max = fmaxf(tile_max, p[a][c]);
      }
      const float m_new = fmaxf(m[a], thread_row_max(tile_max));
      // exp(score - shift) with shift = m_new, or 0 while the row has seen no key (m_new =
      // -inf), which keeps exp(-inf - -inf) = NaN out: masked scores and rescale become 0.
      const float shift = m_new == kMinusInfinity ? 0.0f : m_new;
      const float rescale = expf(m[a] - shift);
      float sum = 0.0f;
#pragma unroll
      for (int c = 0; c < T::kColsPerThread; ++c) {
        p[a][c] = expf(p[a][c] - shift);
        sum += p[a][c];
      }
      l[a] = l[a] * rescale + sum;
#pragma unroll
      for (int c = 0; c < T::kHeadColsPerThread; ++c) o[a][c] *= rescale;
      m[a] = m_new;
    }
    store_scores<kD>(p, p_tile);
    __syncthreads();
    add_weighted_rows<kD>(p_tile, v_tile, o);  // o += p v
  }

  // out = o / l; lse = m + log l (every real query sees itself: l >= 1).
#pragma unroll
  for (int a = 0; a < T::kRowsPerThread; ++a) {
    const float total = thread_row_sum(l[a]);
#pragma unroll
    for (int c = 0; c < T::kHeadColsPerThread; ++c) o[a][c] /= total;
    const int64_t i = q0 + ty + kThreadRows * a;
    if (lse && tx == 0 && i < s.tokens) lse[s.row_stat(b, h, i)] = m[a] + logf(total);
  }
  store_rows<kD>(o, 1.0f, out + s.q_row(b, q0, h), ldq, rows, s.head_dim);
}

template <int kD>
void launch_forward(const cpu::AttentionInputs& in, float* out, float* lse) {
  using T = Tiling<kD>;
  const size_t bytes = forward_shared_bytes<kD>();
  allow_shared_memory(forward_kernel<kD>, bytes, "attention forward: its shared memory");
  const int64_t tiles = (in.tokens + T::kTile - 1) / T::kTile;
  const auto blocks = static_cast<unsigned>(in.batch * in.q_heads * tiles);
  forward_kernel<kD><<<blocks, kThreads, bytes, stream()>>>(dims_of(in), in.q, in.k, in.v,
                                                            in.doc_ids, in.scale, out, lse);
  check_launch("attention forward");
}

}  // namespace
}  // namespace attention

void attention_forward(const cpu::AttentionInputs& in, float* out, float* lse) {
  if (in.batch * in.tokens * in.q_heads == 0) return;
  if (attention::on_tensor_cores(in.head_dim)) return attention::tensor_core_forward(in, out, lse);
  attention::with_padded_head_dim(in.head_dim, [&](auto head_dim) {
    attention::launch_forward<decltype(head_dim)::value>(in, out, lse);
  });
}

}  // namespace retune::ops::cuda
