// Plain-loop reference of ops/kl_divergence_head.h, in any floating type (double for the
// checks). x, teacher_x [N, C], weight, teacher_weight [V, C], labels [N] (kIgnoreIndex: not
// scored), lse, teacher_lse [N]; all contiguous.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ops/cross_entropy_head.h"
#include "ops/reference/cross_entropy_head.h"

namespace retune::ops::reference {

// Row n's log-softmax of x_n . w_v / temperature over every class, and its logsumexp in `lse`.
template <typename T>
std::vector<T> log_softmax_head(const T* x, const T* weight, int64_t n, int64_t C, int64_t V,
                                T temperature, T& lse) {
  std::vector<T> z = head_logits(x, weight, n, C, V);
  for (T& value : z) value /= temperature;
  const T top = *std::max_element(z.begin(), z.end());
  T sum = 0;
  for (const T value : z) sum += std::exp(value - top);
  lse = top + std::log(sum);
  for (T& value : z) value -= lse;
  return z;
}

// Writes lse and teacher_lse (0 at ignored rows); returns the mean over scored rows of
// τ² KL(p_teacher || p_student) (0 when none).
template <typename T>
T kl_divergence_head_forward(const T* x, const T* weight, const T* teacher_x,
                             const T* teacher_weight, const int32_t* labels, int64_t N, int64_t C,
                             int64_t V, T temperature, T* lse, T* teacher_lse) {
  T total = 0;
  int64_t scored = 0;
  for (int64_t n = 0; n < N; ++n) {
    lse[n] = 0;
    teacher_lse[n] = 0;
    if (labels[n] == kIgnoreIndex) continue;
    const std::vector<T> log_p = log_softmax_head(x, weight, n, C, V, temperature, lse[n]);
    const std::vector<T> log_q =
        log_softmax_head(teacher_x, teacher_weight, n, C, V, temperature, teacher_lse[n]);
    for (int64_t v = 0; v < V; ++v) {
      const auto i = static_cast<size_t>(v);
      total += std::exp(log_q[i]) * (log_q[i] - log_p[i]);
    }
    ++scored;
  }
  return scored ? temperature * temperature * total / static_cast<T>(scored) : T(0);
}

// Gradients of the student given dloss (the forward's lse are recomputed); dx [N, C] and
// dweight [V, C] are overwritten.
template <typename T>
void kl_divergence_head_backward(T dloss, const T* x, const T* weight, const T* teacher_x,
                                 const T* teacher_weight, const int32_t* labels, int64_t N,
                                 int64_t C, int64_t V, T temperature, T* dx, T* dweight) {
  const auto scored =
      std::count_if(labels, labels + N, [](int32_t l) { return l != kIgnoreIndex; });
  for (int64_t i = 0; i < N * C; ++i) dx[i] = 0;
  for (int64_t i = 0; i < V * C; ++i) dweight[i] = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (labels[n] == kIgnoreIndex) continue;
    T lse = 0;
    const std::vector<T> log_p = log_softmax_head(x, weight, n, C, V, temperature, lse);
    const std::vector<T> log_q =
        log_softmax_head(teacher_x, teacher_weight, n, C, V, temperature, lse);
    for (int64_t v = 0; v < V; ++v) {
      const auto i = static_cast<size_t>(v);
      // d(τ² KL)/d logit = τ² (p - q) / τ.
      const T dlogit =
          dloss * temperature * (std::exp(log_p[i]) - std::exp(log_q[i])) / static_cast<T>(scored);
      for (int64_t c = 0; c < C; ++c) {
        dx[n * C + c] += dlogit * weight[v * C + c];
        dweight[v * C + c] += dlogit * x[n * C + c];
      }
    }
  }
}

}  // namespace retune::ops::reference
