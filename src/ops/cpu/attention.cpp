#include "ops/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include "ops/cpu/gemm.h"
#include "ops/cpu/vector_exp.h"

namespace retune::ops::cpu {

namespace {

constexpr int64_t kTileRows = 64;

// Query rows [begin, end) of batch row b, which see at most the keys [key_begin, key_end).
struct Tile {
  int64_t b;
  int64_t begin;
  int64_t end;
  int64_t key_begin;  // the earliest first token of the documents of the tile's queries
  int64_t key_end;    // past + end: the last query's own key, plus one
  int64_t rows() const { return end - begin; }
  int64_t keys() const { return key_end - key_begin; }
};

// Query tiles per batch row.
int64_t tiles_per_row(const AttentionInputs& in) {
  return (in.tokens + kTileRows - 1) / kTileRows;
}

// The tiles of every batch row, row-major over (b, tile).
std::vector<Tile> make_tiles(const AttentionInputs& in) {
  std::vector<Tile> tiles;
  for (int64_t b = 0; b < in.batch; ++b) {
    // first[t]: where the document of token t first appears in the row.
    std::vector<int64_t> first(static_cast<size_t>(in.tokens), 0);
    if (in.doc_ids) {
      std::unordered_map<int32_t, int64_t> starts;
      for (int64_t t = 0; t < in.tokens; ++t) {
        first[t] = starts.try_emplace(in.doc_ids[b * in.tokens + t], t).first->second;
      }
    }
    for (int64_t begin = 0; begin < in.tokens; begin += kTileRows) {
      const int64_t end = std::min(begin + kTileRows, in.tokens);
      tiles.push_back({b, begin, end, *std::min_element(first.begin() + begin, first.begin() + end),
                       in.past + end});
    }
  }
  return tiles;
}

// Offsets of row t of head h of batch row b in [B, T, Hq, D] and [B, S, Hkv, D] tensors.
int64_t q_offset(const AttentionInputs& in, int64_t b, int64_t t, int64_t h) {
  return ((b * in.tokens + t) * in.q_heads + h) * in.head_dim;
}
int64_t kv_offset(const AttentionInputs& in, int64_t b, int64_t t, int64_t h) {
  return ((b * in.kv_tokens + t) * in.kv_heads + h) * in.head_dim;
}

// Sets to -inf the scores [rows, keys] of the tile's keys its queries may not see: later
// tokens and other documents.
void mask_scores(const AttentionInputs& in, const Tile& tile, float* scores) {
  const int32_t* docs = in.doc_ids ? in.doc_ids + tile.b * in.tokens : nullptr;
  for (int64_t i = tile.begin; i < tile.end; ++i) {
    float* row = scores + (i - tile.begin) * tile.keys();
    for (int64_t j = tile.key_begin; j < tile.key_end; ++j) {
      if (j > in.past + i || (docs && docs[j] != docs[i])) {
        row[j - tile.key_begin] = -std::numeric_limits<float>::infinity();
      }
    }
  }
}

// scale * q k^T of query head h's tile into scores [rows, keys], masked.
void tile_scores(const AttentionInputs& in, const Tile& tile, int64_t h, float* scores) {
  const int64_t g = h / (in.q_heads / in.kv_heads);
  const GemmOperand q{in.q + q_offset(in, tile.b, tile.begin, h), in.q_heads * in.head_dim, 0,
                      false};
  const GemmOperand k{in.k + kv_offset(in, tile.b, tile.key_begin, g), in.kv_heads * in.head_dim, 0,
                      true};
  gemm(tile.rows(), tile.keys(), in.head_dim, in.scale, q, k, 0.0f, scores, tile.keys());
  mask_scores(in, tile, scores);
}

// Turns a row of masked scores into probabilities (masked keys: 0); returns its log-sum-exp.
// Query i always sees itself, so the row has a finite maximum.
float softmax_row(float* row, int64_t n) {
  const float max = *std::max_element(row, row + n);
  exp_shifted_in_place(row, n, max);
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += row[j];
  const float inverse = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) row[j] *= inverse;
  return max + std::log(sum);
}

// out and lse of query head h's tile; scores is scratch of [rows, keys].
void forward_tile(const AttentionInputs& in, const Tile& tile, int64_t h, float* scores, float* out,
                  float* lse) {
  tile_scores(in, tile, h, scores);
  for (int64_t r = 0; r < tile.rows(); ++r) {
    const float row_lse = softmax_row(scores + r * tile.keys(), tile.keys());
    if (lse) lse[(tile.b * in.q_heads + h) * in.tokens + tile.begin + r] = row_lse;
  }
  const int64_t g = h / (in.q_heads / in.kv_heads);
  const GemmOperand p{scores, tile.keys(), 0, false};
  const GemmOperand v{in.v + kv_offset(in, tile.b, tile.key_begin, g), in.kv_heads * in.head_dim, 0,
                      false};
  gemm(tile.rows(), in.head_dim, tile.keys(), 1.0f, p, v, 0.0f,
       out + q_offset(in, tile.b, tile.begin, h), in.q_heads * in.head_dim);
}

}  // namespace

void attention_forward(const AttentionInputs& in, float* out, float* lse) {
  const std::vector<Tile> tiles = make_tiles(in);
  const int64_t per_row = tiles_per_row(in);
  const int64_t items = in.batch * in.q_heads * per_row;  // (b, h, tile), tile fastest
#pragma omp parallel
  {
    std::vector<float> scores(
        static_cast<size_t>(std::min(kTileRows, in.tokens) * (in.past + in.tokens)));
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t b = item / (in.q_heads * per_row);
      const int64_t h = item / per_row % in.q_heads;
      forward_tile(in, tiles[b * per_row + item % per_row], h, scores.data(), out, lse);
    }
  }
}

namespace {

// The backward's operands beside the inputs.
struct Gradients {
  const float* dout;
  const float* out;
  const float* lse;
  float* dq;
  float* dk;
  float* dv;
};

// Where one query head's backward adds its keys' and values' gradients: rows [T] of dk and dv
// with leading dim ld (null: not wanted), row 0 at token 0 of the head's batch row.
struct KeyGradients {
  float* dk;
  float* dv;
  int64_t ld;
};

// The probabilities [rows, keys] of query head h's tile, recomputed from q, k and lse.
void tile_probabilities(const AttentionInputs& in, const Gradients& grads, const Tile& tile,
                        int64_t h, float* p) {
  tile_scores(in, tile, h, p);
  for (int64_t r = 0; r < tile.rows(); ++r) {
    const float lse = grads.lse[(tile.b * in.q_heads + h) * in.tokens + tile.begin + r];
    float* row = p + r * tile.keys();
    exp_shifted_in_place(row, tile.keys(), lse);
  }
}

// dS = P * (dP - rowsum(dO * O)) into dp, the gradient of the tile's scaled scores.
void score_gradients(const AttentionInputs& in, const Gradients& grads, const Tile& tile, int64_t h,
                     const float* p, float* dp) {
  for (int64_t r = 0; r < tile.rows(); ++r) {
    const int64_t at = q_offset(in, tile.b, tile.begin + r, h);
    float delta = 0.0f;
    for (int64_t d = 0; d < in.head_dim; ++d) delta += grads.dout[at + d] * grads.out[at + d];
    const float* p_row = p + r * tile.keys();
    float* row = dp + r * tile.keys();
    for (int64_t j = 0; j < tile.keys(); ++j) row[j] = p_row[j] * (row[j] - delta);
  }
}

// Query head h's tile: overwrites its dq rows, adds to `to`'s dk and dv rows of the keys it
// sees. p and dp are scratch of [rows, keys].
void backward_tile(const AttentionInputs& in, const Gradients& grads, const Tile& tile, int64_t h,
                   const KeyGradients& to, float* p, float* dp) {
  const int64_t g = h / (in.q_heads / in.kv_heads);
  const int64_t ldq = in.q_heads * in.head_dim;
  const int64_t ldkv = in.kv_heads * in.head_dim;
  const int64_t q_at = q_offset(in, tile.b, tile.begin, h);
  const int64_t kv_at = kv_offset(in, tile.b, tile.key_begin, g);
  const int64_t grad_at = tile.key_begin * to.ld;
  const int64_t M = tile.rows(), N = tile.keys(), D = in.head_dim;
  tile_probabilities(in, grads, tile, h, p);
  const GemmOperand dout{grads.dout + q_at, ldq, 0, false};
  if (to.dv) {  // dV += P^T dO
    gemm(N, D, M, 1.0f, {p, N, 0, true}, dout, 1.0f, to.dv + grad_at, to.ld);
  }
  if (!grads.dq && !to.dk) return;
  // dP = dO V^T, then dS in place.
  gemm(M, N, D, 1.0f, dout, {in.v + kv_at, ldkv, 0, true}, 0.0f, dp, N);
  score_gradients(in, grads, tile, h, p, dp);
  if (grads.dq) {  // dQ = scale dS K
    gemm(M, D, N, in.scale, {dp, N, 0, false}, {in.k + kv_at, ldkv, 0, false}, 0.0f,
         grads.dq + q_at, ldq);
  }
  if (to.dk) {  // dK += scale dS^T Q
    gemm(N, D, M, in.scale, {dp, N, 0, true}, {in.q + q_at, ldq, 0, false}, 1.0f, to.dk + grad_at,
         to.ld);
  }
}

// x[b, t, g, :] = the sum over the query heads h of kv head g, in order, of the rows
// partial[b, h, t, :] ([B, Hq, T, D]); nothing when x is null.
void sum_query_heads(const AttentionInputs& in, const std::vector<float>& partial, float* x) {
  if (!x) return;
  const int64_t group = in.q_heads / in.kv_heads;
  const int64_t D = in.head_dim;
#pragma omp for schedule(static)
  for (int64_t bt = 0; bt < in.batch * in.tokens; ++bt) {
    const int64_t b = bt / in.tokens, t = bt % in.tokens;
    for (int64_t g = 0; g < in.kv_heads; ++g) {
      float* row = x + kv_offset(in, b, t, g);
      std::fill_n(row, D, 0.0f);
      for (int64_t h = g * group; h < (g + 1) * group; ++h) {
        const float* part = partial.data() + ((b * in.q_heads + h) * in.tokens + t) * D;
        for (int64_t d = 0; d < D; ++d) row[d] += part[d];
      }
    }
  }
}

}  // namespace

void attention_backward(const AttentionInputs& in, const float* dout, const float* out,
                        const float* lse, float* dq, float* dk, float* dv) {
  if (!dq && !dk && !dv) return;
  const Gradients grads{dout, out, lse, dq, dk, dv};
  const std::vector<Tile> tiles = make_tiles(in);
  const int64_t per_row = tiles_per_row(in);
  const int64_t D = in.head_dim;
  // Each query head's keys' and values' gradients, [B, Hq, T, D], summed over the group after.
  const auto partial_floats = static_cast<size_t>(in.batch * in.q_heads * in.tokens * D);
  std::vector<float> partial_k(dk ? partial_floats : 0, 0.0f);
  std::vector<float> partial_v(dv ? partial_floats : 0, 0.0f);
  const int64_t items = in.batch * in.q_heads;  // (b, query head)
#pragma omp parallel
  {
    const auto scratch = static_cast<size_t>(std::min(kTileRows, in.tokens) * in.tokens);
    std::vector<float> p(scratch);
    std::vector<float> dp(scratch);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t b = item / in.q_heads;
      const auto at = static_cast<size_t>(item * in.tokens * D);
      const KeyGradients to{dk ? partial_k.data() + at : nullptr,
                            dv ? partial_v.data() + at : nullptr, D};
      for (int64_t i = 0; i < per_row; ++i) {
        backward_tile(in, grads, tiles[b * per_row + i], item % in.q_heads, to, p.data(),
                      dp.data());
      }
    }
    sum_query_heads(in, partial_k, dk);
    sum_query_heads(in, partial_v, dv);
  }
}

}  // namespace retune::ops::cpu
