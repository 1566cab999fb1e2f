// The gradient kernels of attention_backward on the tensor cores (attention_tensor_cores.cuh),
// the FlashAttention-2 way as the f32 ones in attention_backward.cu: P = exp(scale q k^T - lse)
// recomputed tile by tile, dP = dout v^T and dS = P * (dP - delta), each an mma product or f32
// register work, P and dS feeding the next products from the accumulators. dk and dv per key
// tile and query head (summed over the query heads of a kv head after), dq per query tile:
// every output is written by one block (no atomics).
#include <utility>

#include "ops/cuda/attention_tensor_cores.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/scratch.cuh"

namespace retune::ops::cuda::attention {
namespace tensor_cores {
namespace {

using mma::bf16;

// Shared memory of the dk/dv kernel: the key tile's keys and values; a query tile's queries and
// dout; the query tile's lse, delta and document ids and the key tile's ids.
template <int kD>
constexpr size_t key_grads_shared_bytes() {
  return 4 * Tiles<kD>::kRowTile * sizeof(bf16) + 4 * kTile * sizeof(float);
}

// One block per (key tile, batch row b, query head h), the first key tiles (which the most
// queries see) first: the share of h's queries in dk and dv of the tile's keys (of kv head
// g = h / group), written (a null one skipped) at the rows of head h in [B, T, Hq, D] tensors:
// dk and dv themselves when Hq = Hkv, else per-query-head parts that sum_group_parts adds up.
// It walks the query tiles from the one holding the tile's first key on. A warp owns 16 keys: it
// makes their transposed scores S^T = k q^T and dP^T = v dout^T with the tile's queries, then
// P^T and dS^T, and sums dv += P^T dout and dk += dS^T q in registers.
template <int kD>
__global__ void __launch_bounds__(kThreads)
    key_grads_kernel(BackwardArgs args, PaddedRows in, float* dk, float* dv) {
  using S = Tiles<kD>;
  const Dims& s = args.s;
  extern __shared__ __align__(16) unsigned char shared[];
  auto* k_tile = reinterpret_cast<bf16*>(shared);  // [kTile, kD] keys k0 ..
  bf16* v_tile = k_tile + S::kRowTile;             // [kTile, kD] values k0 ..
  bf16* q_tile = v_tile + S::kRowTile;             // [kTile, kD] queries q0 ..
  bf16* dout_tile = q_tile + S::kRowTile;          // [kTile, kD] dout of queries q0 ..
  auto* row_lse = reinterpret_cast<float*>(dout_tile + S::kRowTile);  // [kTile] of queries
  float* row_delta = row_lse + kTile;                                 // [kTile] of queries
  auto* row_docs = reinterpret_cast<int32_t*>(row_delta + kTile);     // [kTile] of queries
  int32_t* key_docs = row_docs + kTile;                               // [kTile] of keys

  const int64_t heads = s.batch * s.q_heads;
  const int64_t b = blockIdx.x % heads / s.q_heads;
  const int64_t h = blockIdx.x % heads % s.q_heads;
  const int64_t g = h / s.group();
  const int64_t k0 = blockIdx.x / heads * kTile;
  const int64_t keys = min(int64_t{kTile}, s.tokens - k0);
  const int64_t ldq = s.q_heads * s.head_dim;
  const bool has_docs = args.doc_ids != nullptr;
  const int32_t* docs = has_docs ? args.doc_ids + b * s.tokens : nullptr;
  const int64_t ld_padded = s.q_heads * kD;
  const mma::bf16* query_rows = in.q + (b * s.tokens * s.q_heads + h) * kD;
  const mma::bf16* dout_rows = in.dout + (b * s.tokens * s.q_heads + h) * kD;

  TileFetch<kD> fetched_q;  // the keys and values first, then the query tiles' q
  TileFetch<kD> fetched_dout;
  const int64_t key_row = ((b * s.tokens + k0) * s.kv_heads + g) * kD;
  fetched_q.fetch(in.k + key_row, s.kv_heads * kD, keys);
  fetched_dout.fetch(in.v + key_row, s.kv_heads * kD, keys);
  fetched_q.store_rows(k_tile);
  fetched_dout.store_rows(v_tile);
  int64_t fetched = -1;  // the query tile in fetched_q and fetched_dout
  if (threadIdx.x < kTile) {
    const int64_t j = k0 + threadIdx.x;
    key_docs[threadIdx.x] = has_docs && j < s.tokens ? docs[j] : 0;
  }
  float dk_sum[S::kDimBlocks][4] = {};
  float dv_sum[S::kDimBlocks][4] = {};

  for (int64_t q0 = k0; q0 < s.tokens; q0 += kTile) {
    __syncthreads();  // nobody reads the previous query tile any more
    load_query_stats<kTile>(args, b, h, q0, docs, row_lse, row_delta, row_docs);
    __syncthreads();
    // Accumulator element i of n-block nb: key row r = i / 2, query q0 + 8 nb + acc_col(i).
    auto seen = [&](int r, int query) {
      const int key = lane_row(r);
      return sees(s, q0 + query, k0 + key, has_docs, row_docs[query], key_docs[key]);
    };
    if (has_docs) {
      // No query of the tile sees a key of the block.
      if (!__syncthreads_or(lane_sees_any(seen))) continue;
    }
    stage_tile_pair(fetched_q, fetched_dout, fetched, query_rows, dout_rows, ld_padded, s.tokens,
                    q0, q_tile, dout_tile);

    float p[S::kRowBlocks][4] = {};   // S^T = k q^T, then P^T (0 where masked)
    float ds[S::kRowBlocks][4] = {};  // dP^T = v dout^T, then dS^T = P^T * (dP^T - delta)
#pragma unroll
    for (int kc = 0; kc < S::kDimChunks; ++kc) {
      uint32_t key_fragment[4];
      uint32_t value_fragment[4];
      mma::load_a(key_fragment, k_tile, S::kRowStride, warp_first_row(), kc);
      mma::load_a(value_fragment, v_tile, S::kRowStride, warp_first_row(), kc);
      mma::add_two_products<mma::BRows::n>(p, key_fragment, q_tile, ds, value_fragment, dout_tile,
                                           S::kRowStride, kc);
    }
    // Every query of the tile is real and sees every key of the block: no mask.
    const bool whole = !has_docs && q0 >= k0 + kTile - 1 && q0 + kTile <= s.tokens;
#pragma unroll
    for (int nb = 0; nb < S::kRowBlocks; ++nb) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int query = 8 * nb + mma::acc_col(i);
        const bool on = whole || seen(i / 2, query);
        p[nb][i] = on ? __expf(args.scale * p[nb][i] - row_lse[query]) : 0.0f;
        ds[nb][i] = p[nb][i] * (ds[nb][i] - row_delta[query]);
      }
    }
#pragma unroll
    for (int kc = 0; kc < S::kRowChunks; ++kc) {  // over the tile's queries
      uint32_t p_fragment[4];
      uint32_t ds_fragment[4];
      mma::to_a_fragment(p_fragment, p[2 * kc], p[2 * kc + 1]);
      mma::to_a_fragment(ds_fragment, ds[2 * kc], ds[2 * kc + 1]);
      // dv += P^T dout; dk += dS^T q (scaled below).
      mma::add_two_products<mma::BRows::k>(dv_sum, p_fragment, dout_tile, dk_sum, ds_fragment,
                                           q_tile, S::kRowStride, kc);
    }
  }
  if (dk) store_rows<kD>(dk_sum, args.scale, dk + s.q_row(b, k0, h), ldq, keys, s.head_dim);
  if (dv) store_rows<kD>(dv_sum, 1.0f, dv + s.q_row(b, k0, h), ldq, keys, s.head_dim);
}

// out[b, t, g, d] = sum over the query heads h of kv head g of parts[b, t, h, d] (in head
// order): dk or dv from key_grads_kernel's per-query-head parts.
__global__ void sum_group_parts(Dims s, const float* parts, float* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;  // ((b T + t) Hkv + g) D + d
  if (i >= s.batch * s.tokens * s.kv_heads * s.head_dim) return;
  const int64_t d = i % s.head_dim;
  const int64_t row = i / s.head_dim / s.kv_heads;  // b T + t
  const int64_t g = i / s.head_dim % s.kv_heads;
  const float* part = parts + (row * s.q_heads + g * s.group()) * s.head_dim + d;
  float sum = 0.0f;
  for (int64_t h = 0; h < s.group(); ++h) sum += part[h * s.head_dim];
  out[i] = sum;
}

// Shared memory of the dq kernel: the query tile's queries and dout, a key and a value tile,
// and the key tile's document ids.
template <int kD>
constexpr size_t query_grads_shared_bytes() {
  return 4 * Tiles<kD>::kRowTile * sizeof(bf16) + kTile * sizeof(int32_t);
}

// One block per (query tile, batch row b, query head h), the last query tiles first: dq of the
// tile's queries, overwritten. It walks the key tiles from key 0 to the tile's last query; a
// warp makes its 16 queries' S = q k^T and dP = dout v^T, then P and dS, and sums dq += dS k.
template <int kD>
__global__ void __launch_bounds__(kThreads)
    query_grads_kernel(BackwardArgs args, PaddedRows in, float* dq) {
  using S = Tiles<kD>;
  const Dims& s = args.s;
  extern __shared__ __align__(16) unsigned char shared[];
  auto* q_tile = reinterpret_cast<bf16*>(shared);  // [kTile, kD] queries q0 ..
  bf16* dout_tile = q_tile + S::kRowTile;          // [kTile, kD] dout of queries q0 ..
  bf16* k_tile = dout_tile + S::kRowTile;          // [kTile, kD] keys k0 ..
  bf16* v_tile = k_tile + S::kRowTile;             // [kTile, kD] values k0 ..
  auto* key_docs = reinterpret_cast<int32_t*>(v_tile + S::kRowTile);  // [kTile]

  const auto [b, h, g, q0, rows] = query_tile_of_block<kTile>(s);
  const int64_t key_end = q0 + rows;  // the tile's queries see keys [0, key_end) at most
  const int64_t ldq = s.q_heads * s.head_dim;
  const bool has_docs = args.doc_ids != nullptr;
  const int32_t* docs = has_docs ? args.doc_ids + b * s.tokens : nullptr;
  const int64_t ldkv = s.kv_heads * kD;  // of the padded copies of k and v
  const mma::bf16* key_rows = in.k + (b * s.tokens * s.kv_heads + g) * kD;
  const mma::bf16* value_rows = in.v + (b * s.tokens * s.kv_heads + g) * kD;

  TileFetch<kD> fetched_k;  // the queries and dout first, then the key tiles' k
  TileFetch<kD> fetched_v;
  const int64_t query_row = ((b * s.tokens + q0) * s.q_heads + h) * kD;
  fetched_k.fetch(in.q + query_row, s.q_heads * kD, rows);
  fetched_v.fetch(in.dout + query_row, s.q_heads * kD, rows);
  fetched_k.store_rows(q_tile);
  fetched_v.store_rows(dout_tile);
  int64_t fetched = -1;  // the key tile in fetched_k and fetched_v
  int64_t query[2];      // this lane's two query rows (lane_row)
  int32_t row_doc[2];
  float row_lse[2];
  float row_delta[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    query[r] = q0 + lane_row(r);
    const bool real = query[r] < s.tokens;
    row_doc[r] = has_docs && real ? docs[query[r]] : 0;
    row_lse[r] = real ? args.lse[s.row_stat(b, h, query[r])] : 0.0f;
    row_delta[r] = real ? args.delta[s.row_stat(b, h, query[r])] : 0.0f;
  }
  float dq_sum[S::kDimBlocks][4] = {};

  for (int64_t k0 = 0; k0 < key_end; k0 += kTile) {
    // Accumulator element i of n-block nb: query row r = i / 2, key k0 + 8 nb + acc_col(i).
    auto seen = [&](int r, int key) {
      return sees(s, query[r], k0 + key, has_docs, row_doc[r], has_docs ? key_docs[key] : 0);
    };
    __syncthreads();  // the query tiles are loaded; nobody reads the previous key tile
    if (has_docs) {
      const int64_t j = k0 + threadIdx.x;
      if (threadIdx.x < kTile) key_docs[threadIdx.x] = j < key_end ? docs[j] : 0;
      __syncthreads();
      if (!__syncthreads_or(lane_sees_any(seen))) continue;  // no query sees a key of the tile
    }
    stage_tile_pair(fetched_k, fetched_v, fetched, key_rows, value_rows, ldkv, key_end, k0, k_tile,
                    v_tile);

    float p[S::kRowBlocks][4] = {};   // S = q k^T, then P (0 where masked)
    float ds[S::kRowBlocks][4] = {};  // dP = dout v^T, then dS = P * (dP - delta)
#pragma unroll
    for (int kc = 0; kc < S::kDimChunks; ++kc) {
      uint32_t query_fragment[4];
      uint32_t dout_fragment[4];
      mma::load_a(query_fragment, q_tile, S::kRowStride, warp_first_row(), kc);
      mma::load_a(dout_fragment, dout_tile, S::kRowStride, warp_first_row(), kc);
      mma::add_two_products<mma::BRows::n>(p, query_fragment, k_tile, ds, dout_fragment, v_tile,
                                           S::kRowStride, kc);
    }
    const bool whole = !has_docs && k0 + kTile - 1 <= q0;  // no mask
#pragma unroll
    for (int nb = 0; nb < S::kRowBlocks; ++nb) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int r = i / 2;
        const bool on = whole || seen(r, 8 * nb + mma::acc_col(i));
        p[nb][i] = on ? __expf(args.scale * p[nb][i] - row_lse[r]) : 0.0f;
        ds[nb][i] = p[nb][i] * (ds[nb][i] - row_delta[r]);
      }
    }
#pragma unroll
    for (int kc = 0; kc < S::kRowChunks; ++kc) {  // dq += dS k over the tile's keys
      uint32_t ds_fragment[4];
      mma::to_a_fragment(ds_fragment, ds[2 * kc], ds[2 * kc + 1]);
      mma::add_products<mma::BRows::k>(dq_sum, ds_fragment, k_tile, S::kRowStride, kc);
    }
  }
  store_rows<kD>(dq_sum, args.scale, dq + s.q_row(b, q0, h), ldq, rows, s.head_dim);
}

template <int kD>
void launch_gradients(const cpu::AttentionInputs& in, const BackwardArgs& args, float* dq,
                      float* dk, float* dv) {
  const PaddedCopies copies(in, kD, args.dout);
  const int64_t tiles = (args.s.tokens + kTile - 1) / kTile;
  if (dk || dv) {
    const Dims& s = args.s;
    // With grouped queries, each query head's share goes to parts first.
    const bool grouped = s.group() > 1;
    const int64_t part_floats = grouped ? s.batch * s.tokens * s.q_heads * s.head_dim : 0;
    const Scratch<float> dk_parts(dk ? part_floats : 0);
    const Scratch<float> dv_parts(dv ? part_floats : 0);
    float* dk_out = grouped && dk ? dk_parts.data() : dk;
    float* dv_out = grouped && dv ? dv_parts.data() : dv;
    const size_t bytes = key_grads_shared_bytes<kD>();
    allow_shared_memory(key_grads_kernel<kD>, bytes,
                        "attention backward (dk, dv): its shared memory");
    const auto blocks = static_cast<unsigned>(s.batch * s.q_heads * tiles);
    key_grads_kernel<kD>
        <<<blocks, kThreads, bytes, stream()>>>(args, copies.rows(), dk_out, dv_out);
    check_launch("attention backward (dk, dv; tensor cores)");
    const int64_t kv_floats = s.batch * s.tokens * s.kv_heads * s.head_dim;
    for (auto [parts, out] : {std::pair{dk_out, dk}, std::pair{dv_out, dv}}) {
      if (!grouped || !out) continue;
      constexpr int kSumThreads = 256;
      sum_group_parts<<<blocks_for(kv_floats, kSumThreads), kSumThreads, 0, stream()>>>(s, parts,
                                                                                        out);
      check_launch("attention backward (dk, dv; the query heads' parts)");
    }
  }
  if (dq) {
    const size_t bytes = query_grads_shared_bytes<kD>();
    allow_shared_memory(query_grads_kernel<kD>, bytes,
                        "attention backward (dq): its shared memory");
    const auto blocks = static_cast<unsigned>(args.s.batch * args.s.q_heads * tiles);
    query_grads_kernel<kD><<<blocks, kThreads, bytes, stream()>>>(args, copies.rows(), dq);
    check_launch("attention backward (dq; tensor cores)");
  }
}

}  // namespace
}  // namespace tensor_cores

void tensor_core_gradients(const cpu::AttentionInputs& in, const BackwardArgs& args, float* dq,
                           float* dk, float* dv) {
  tensor_cores::with_tensor_core_head_dim(in.head_dim, [&](auto head_dim) {
    tensor_cores::launch_gradients<decltype(head_dim)::value>(in, args, dq, dk, dv);
  });
}

}  // namespace retune::ops::cuda::attention
