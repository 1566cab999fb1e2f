// Plain-loop reference of ops/cross_entropy_head.h, in any floating type (double for the checks).
// x [N, C], weight [V, C], labels [N] (kIgnoreIndex or a class), lse [N]; all contiguous.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ops/cross_entropy_head.h"

namespace retune::ops::reference {

// Row n's logits against every class: logits[v] = x_n . w_v.
template <typename T>
std::vector<T> head_logits(const T* x, const T* weight, int64_t n, int64_t C, int64_t V) {
  std::vector<T> logits(static_cast<size_t>(V));
  for (int64_t v = 0; v < V; ++v) {
    T sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += x[n * C + c] * weight[v * C + c];
    logits[static_cast<size_t>(v)] = sum;
  }
  return logits;
}

// Writes lse (0 at ignored rows); returns the mean loss over labelled rows (0 when none).
template <typename T>
T cross_entropy_head_forward(const T* x, const T* weight, const int32_t* labels, int64_t N,
                             int64_t C, int64_t V, T* lse) {
  T total = 0;
  int64_t labelled = 0;
  for (int64_t n = 0; n < N; ++n) {
    lse[n] = 0;
    if (labels[n] == kIgnoreIndex) continue;
    const std::vector<T> logits = head_logits(x, weight, n, C, V);
    const T top = *std::max_element(logits.begin(), logits.end());
    T sum = 0;
    for (const T logit : logits) sum += std::exp(logit - top);
    lse[n] = top + std::log(sum);
    total += lse[n] - logits[static_cast<size_t>(labels[n])];
    ++labelled;
  }
  return labelled ? total / static_cast<T>(labelled) : T(0);
}

// Gradients given dloss and the forward's lse; dx [N, C] and dweight [V, C] are overwritten.
template <typename T>
void cross_entropy_head_backward(T dloss, const T* x, const T* weight, const int32_t* labels,
                                 const T* lse, int64_t N, int64_t C, int64_t V, T* dx, T* dweight) {
  const auto labelled =
      std::count_if(labels, labels + N, [](int32_t l) { return l != kIgnoreIndex; });
  for (int64_t i = 0; i < N * C; ++i) dx[i] = 0;
  for (int64_t i = 0; i < V * C; ++i) dweight[i] = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (labels[n] == kIgnoreIndex) continue;
    const std::vector<T> logits = head_logits(x, weight, n, C, V);
    for (int64_t v = 0; v < V; ++v) {
      const T onehot = v == labels[n] ? T(1) : T(0);
      const T dlogit = (std::exp(logits[static_cast<size_t>(v)] - lse[n]) - onehot) * dloss /
                       static_cast<T>(labelled);
      for (int64_t c = 0; c < C; ++c) {
        dx[n * C + c] += dlogit * weight[v * C + c];
        dweight[v * C + c] += dlogit * x[n * C + c];
      }
    }
  }
}

}  // namespace retune::ops::reference
