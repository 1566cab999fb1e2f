// Plain-loop reference of ops/attention.h, in any floating type (double for the checks).
// q, out, dq [B, T, Hq, D]; k, v, dk, dv [B, T, Hkv, D]; lse [B, Hq, T]; doc_ids [B, T] or null
// (one document per row); all contiguous. Query head h reads kv head h / (Hq / Hkv). The cached
// forward's k and v have S rows per batch row instead of T.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace retune::ops::reference {

struct AttentionSizes {
  int64_t batch, tokens, q_heads, kv_heads, head_dim;

  // Row t of head h of batch row b in a [B, T, heads, D] tensor.
  int64_t at(int64_t heads, int64_t b, int64_t t, int64_t h) const {
    return ((b * tokens + t) * heads + h) * head_dim;
  }
};

// p[j] = the probability that query i of head h in batch row b gives key j (0 for the keys it
// may not see: j > i or another document); returns the row's log-sum-exp.
template <typename T>
T attention_probabilities(const T* q, const T* k, const int32_t* doc_ids, T scale,
                          const AttentionSizes& s, int64_t b, int64_t h, int64_t i,
                          std::vector<T>& p) {
  const int64_t g = h / (s.q_heads / s.kv_heads);
  auto visible = [&](int64_t j) {
    return j <= i && (!doc_ids || doc_ids[b * s.tokens + j] == doc_ids[b * s.tokens + i]);
  };
  p.assign(static_cast<size_t>(s.tokens), T(0));
  T max = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < s.tokens; ++j) {
    if (!visible(j)) continue;
    T dot = 0;
    for (int64_t d = 0; d < s.head_dim; ++d) {
      dot += q[s.at(s.q_heads, b, i, h) + d] * k[s.at(s.kv_heads, b, j, g) + d];
    }
    p[j] = scale * dot;
    max = std::max(max, p[j]);
  }
  T sum = 0;
  for (int64_t j = 0; j < s.tokens; ++j) {
    if (visible(j)) sum += std::exp(p[j] - max);
  }
  const T lse = max + std::log(sum);
  for (int64_t j = 0; j < s.tokens; ++j) p[j] = visible(j) ? std::exp(p[j] - lse) : T(0);
  return lse;
}

// out and lse (overwritten).
template <typename T>
void attention_forward(const T* q, const T* k, const T* v, const int32_t* doc_ids, T scale, T* out,
                       T* lse, const AttentionSizes& s) {
  std::vector<T> p;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.q_heads; ++h) {
      const int64_t g = h / (s.q_heads / s.kv_heads);
      for (int64_t i = 0; i < s.tokens; ++i) {
        lse[(b * s.q_heads + h) * s.tokens + i] =
            attention_probabilities(q, k, doc_ids, scale, s, b, h, i, p);
        for (int64_t d = 0; d < s.head_dim; ++d) {
          T sum = 0;
          for (int64_t j = 0; j < s.tokens; ++j) sum += p[j] * v[s.at(s.kv_heads, b, j, g) + d];
          out[s.at(s.q_heads, b, i, h) + d] = sum;
        }
      }
    }
  }
}

// attention_cached_forward: q and out [B, T, Hq, D] at positions past .. past + T - 1; k and v
// [B, S, Hkv, D], of which query i reads the rows 0 .. past + i.
template <typename T>
void attention_cached_forward(const T* q, const T* k, const T* v, T scale, int64_t past,
                              int64_t kv_tokens, T* out, const AttentionSizes& s) {
  const AttentionSizes cache{s.batch, kv_tokens, s.q_heads, s.kv_heads, s.head_dim};
  std::vector<T> p(static_cast<size_t>(kv_tokens));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.q_heads; ++h) {
      const int64_t g = h / (s.q_heads / s.kv_heads);
      for (int64_t i = 0; i < s.tokens; ++i) {
        const int64_t keys = past + i + 1;
        T max = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < keys; ++j) {
          T dot = 0;
          for (int64_t d = 0; d < s.head_dim; ++d) {
            dot += q[s.at(s.q_heads, b, i, h) + d] * k[cache.at(s.kv_heads, b, j, g) + d];
          }
          p[j] = scale * dot;
          max = std::max(max, p[j]);
        }
        T sum = 0;
        for (int64_t j = 0; j < keys; ++j) sum += p[j] = std::exp(p[j] - max);
        for (int64_t d = 0; d < s.head_dim; ++d) {
          T weighted = 0;
          for (int64_t j = 0; j < keys; ++j)
            weighted += p[j] * v[cache.at(s.kv_heads, b, j, g) + d];
          out[s.at(s.q_heads, b, i, h) + d] = weighted / sum;
        }
      }
    }
  }
}

// dq, dk, dv (overwritten) given dout: with S = scale q k^T and P = softmax(S) per row,
// dP = dout v^T, dS = P * (dP - rowsum(P * dP)), dq = scale dS k, dk = scale dS^T q,
// dv = P^T dout, summed over the query heads that share a kv head.
template <typename T>
void attention_backward(const T* dout, const T* q, const T* k, const T* v, const int32_t* doc_ids,
                        T scale, T* dq, T* dk, T* dv, const AttentionSizes& s) {
  const int64_t q_size = s.batch * s.tokens * s.q_heads * s.head_dim;
  const int64_t kv_size = s.batch * s.tokens * s.kv_heads * s.head_dim;
  for (int64_t n = 0; n < q_size; ++n) dq[n] = 0;
  for (int64_t n = 0; n < kv_size; ++n) dk[n] = dv[n] = 0;
  std::vector<T> p;
  std::vector<T> dp(static_cast<size_t>(s.tokens));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.q_heads; ++h) {
      const int64_t g = h / (s.q_heads / s.kv_heads);
      for (int64_t i = 0; i < s.tokens; ++i) {
        attention_probabilities(q, k, doc_ids, scale, s, b, h, i, p);
        const int64_t qi = s.at(s.q_heads, b, i, h);
        T delta = 0;
        for (int64_t j = 0; j < s.tokens; ++j) {
          dp[j] = 0;
          for (int64_t d = 0; d < s.head_dim; ++d) {
            dp[j] += dout[qi + d] * v[s.at(s.kv_heads, b, j, g) + d];
          }
          delta += p[j] * dp[j];
        }
        for (int64_t j = 0; j < s.tokens; ++j) {
          const T ds = p[j] * (dp[j] - delta);
          const int64_t kj = s.at(s.kv_heads, b, j, g);
          for (int64_t d = 0; d < s.head_dim; ++d) {
            dq[qi + d] += scale * ds * k[kj + d];
            dk[kj + d] += scale * ds * q[qi + d];
            dv[kj + d] += p[j] * dout[qi + d];
          }
        }
      }
    }
  }
}

}  // namespace retune::ops::reference
