// attention_forward on the tensor cores (attention_tensor_cores.cuh): one block per query tile.
#include "ops/cuda/attention_tensor_cores.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda::attention {
namespace tensor_cores {
namespace {

using mma::bf16;

// Blocks of the forward kernel resident per multiprocessor: 3 (at most 170 registers a thread)
// where the head dim lets the registers fit, for more warps to hide the latency of the tiles'
// loads; else 2.
template <int kD>
constexpr int kForwardBlocksPerSm = kD <= 64 ? 3 : 2;

// Shared memory: the query tile, a key tile, a value tile and the key tile's document ids.
template <int kD>
constexpr size_t forward_shared_bytes() {
  return 3 * Tiles<kD>::kRowTile * sizeof(bf16) + kTile * sizeof(int32_t);
}

// One block per (query tile, batch row b, query head h), the last query tiles (which see the
// most keys) first: out and lse of the tile's queries. As the f32 kernel, it walks the key tiles
// from key 0 to the tile's last query's own key with an online softmax, per query row the
// running max m of its scaled scores, l = sum exp(score - m) and o = sum exp(score - m) v. A warp
// keeps its 16 queries' fragments in registers; scores S = q k^T and o += P v are mma products,
// P going from the score accumulators to the second product's operand without shared memory.
template <int kD>
__global__ void __launch_bounds__(kThreads, kForwardBlocksPerSm<kD>)
    forward_kernel(Dims s, PaddedRows in, const int32_t* doc_ids, float scale, float* out,
                   float* lse) {
  using S = Tiles<kD>;
  extern __shared__ __align__(16) unsigned char shared[];
  auto* q_tile = reinterpret_cast<bf16*>(shared);                     // [kTile, kD] q0 ..
  bf16* k_tile = q_tile + S::kRowTile;                                // [kTile, kD] k0 ..
  bf16* v_tile = k_tile + S::kRowTile;                                // [kTile, kD] k0 ..
  auto* key_docs = reinterpret_cast<int32_t*>(v_tile + S::kRowTile);  // [kTile]

  const auto [b, h, g, q0, rows] = query_tile_of_block<kTile>(s);
  const int64_t key_end = s.past + q0 + rows;  // the tile's queries see keys [0, key_end) at most
  const int64_t ldq = s.q_heads * s.head_dim;
  const bool has_docs = doc_ids != nullptr;
  const int32_t* docs = has_docs ? doc_ids + b * s.tokens : nullptr;
  const mma::bf16* key_rows = in.k + ((b * s.kv_tokens) * s.kv_heads + g) * kD;
  const mma::bf16* value_rows = in.v + ((b * s.kv_tokens) * s.kv_heads + g) * kD;
  const int64_t ldkv = s.kv_heads * kD;

  TileFetch<kD> fetched_k;
  TileFetch<kD> fetched_v;
  fetched_k.fetch(in.q + ((b * s.tokens + q0) * s.q_heads + h) * kD, s.q_heads * kD, rows);
  fetched_k.store_rows(q_tile);
  int64_t fetched = -1;  // the key tile in fetched_k and fetched_v
  int64_t query[2];      // this lane's two query rows, r = 0 and 1 (lane_row)
  int32_t row_doc[2];
  float m[2];
  float l[2];  // this lane's keys' share; summed over its lane group at the end
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    query[r] = q0 + lane_row(r);
    row_doc[r] = has_docs && query[r] < s.tokens ? docs[query[r]] : 0;
    m[r] = kMinusInfinity;
    l[r] = 0.0f;
  }
  float o[S::kDimBlocks][4] = {};
  __syncthreads();
  uint32_t q_fragments[S::kDimChunks][4];
#pragma unroll
  for (int kc = 0; kc < S::kDimChunks; ++kc) {
    mma::load_a(q_fragments[kc], q_tile, S::kRowStride, warp_first_row(), kc);
  }

  for (int64_t k0 = 0; k0 < key_end; k0 += kTile) {
    // Accumulator element i of n-block nb: row r = i / 2, key k0 + 8 nb + acc_col(i).
    auto seen = [&](int r, int key) {
      return sees(s, query[r], k0 + key, has_docs, row_doc[r], has_docs ? key_docs[key] : 0);
    };
    __syncthreads();  // nobody reads the previous key tile any more
    if (has_docs) {
      const int64_t j = k0 + threadIdx.x;
      if (threadIdx.x < kTile) key_docs[threadIdx.x] = j < key_end ? docs[j] : 0;
      __syncthreads();
      if (!__syncthreads_or(lane_sees_any(seen))) continue;  // no query sees a key of the tile
    }
    stage_tile_pair(fetched_k, fetched_v, fetched, key_rows, value_rows, ldkv, key_end, k0, k_tile,
                    v_tile);

    float p[S::kRowBlocks][4] = {};  // the scores q k^T, then exp(score - m)
#pragma unroll
    for (int kc = 0; kc < S::kDimChunks; ++kc) {
      mma::add_products<mma::BRows::n>(p, q_fragments[kc], k_tile, S::kRowStride, kc);
    }
    // Every query of the tile sees every key of this one: no mask.
    const bool whole = !has_docs && k0 + kTile - 1 <= s.past + q0;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float tile_max = kMinusInfinity;
#pragma unroll
      for (int nb = 0; nb < S::kRowBlocks; ++nb) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          float& x = p[nb][2 * r + c];
          x = whole || seen(r, 8 * nb + mma::acc_col(c)) ? scale * x : kMinusInfinity;
          tile_max = fmaxf(tile_max, x);
        }
      }
      const float m_new = fmaxf(m[r], mma::group_max(tile_max));
      // As the f32 kernel: shift 0 while the row has seen no key keeps NaN out.
      const float shift = m_new == kMinusInfinity ? 0.0f : m_new;
      const float rescale = __expf(m[r] - shift);
      float sum = 0.0f;
#pragma unroll
      for (int nb = 0; nb < S::kRowBlocks; ++nb) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          float& x = p[nb][2 * r + c];
          x = __expf(x - shift);
          sum += x;
        }
      }
      l[r] = l[r] * rescale + sum;
#pragma unroll
      for (int nd = 0; nd < S::kDimBlocks; ++nd) {
        o[nd][2 * r] *= rescale;
        o[nd][2 * r + 1] *= rescale;
      }
      m[r] = m_new;
    }
#pragma unroll
    for (int kc = 0; kc < S::kRowChunks; ++kc) {  // o += P v over the tile's keys
      uint32_t p_fragment[4];
      mma::to_a_fragment(p_fragment, p[2 * kc], p[2 * kc + 1]);
      mma::add_products<mma::BRows::k>(o, p_fragment, v_tile, S::kRowStride, kc);
    }
  }

  // out = o / l; lse = m + log l (every real query sees itself: l >= 1).
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float total = mma::group_sum(l[r]);
#pragma unroll
    for (int nd = 0; nd < S::kDimBlocks; ++nd) {
      o[nd][2 * r] /= total;
      o[nd][2 * r + 1] /= total;
    }
    if (lse && mma::lane_thread() == 0 && query[r] < s.tokens) {
      lse[s.row_stat(b, h, query[r])] = m[r] + logf(total);
    }
  }
  store_rows<kD>(o, 1.0f, out + s.q_row(b, q0, h), ldq, rows, s.head_dim);
}

template <int kD>
void launch_forward(const cpu::AttentionInputs& in, float* out, float* lse) {
  const PaddedCopies copies(in, kD, nullptr);
  const size_t bytes = forward_shared_bytes<kD>();
  allow_shared_memory(forward_kernel<kD>, bytes, "attention forward: its shared memory");
  const int64_t tiles = (in.tokens + kTile - 1) / kTile;
  const auto blocks = static_cast<unsigned>(in.batch * in.q_heads * tiles);
  forward_kernel<kD><<<blocks, kThreads, bytes, stream()>>>(dims_of(in), copies.rows(), in.doc_ids,
                                                            in.scale, out, lse);
  check_launch("attention forward (tensor cores)");
}

}  // namespace
}  // namespace tensor_cores

void tensor_core_forward(const cpu::AttentionInputs& in, float* out, float* lse) {
  tensor_cores::with_tensor_core_head_dim(in.head_dim, [&](auto head_dim) {
    tensor_cores::launch_forward<decltype(head_dim)::value>(in, out, lse);
  });
}

}  // namespace retune::ops::cuda::attention
