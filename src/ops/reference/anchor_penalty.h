// Plain-loop reference of ops/anchor_penalty.h, in any floating type (double for the checks).
#pragma once

#include <cstdint>

namespace retune::ops::reference {

// One tensor of n elements: grad += w (value - start), w = l2sp + ewc * fisher (l2sp when fisher
// is null); returns its share of the penalty, 1/2 sum w (value - start)^2.
template <typename T>
T anchor_penalty(const T* value, const T* start, const T* fisher, T* grad, int64_t n, T l2sp,
                 T ewc) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T d = value[i] - start[i];
    const T w = l2sp + (fisher ? ewc * fisher[i] : T(0));
    grad[i] += w * d;
    sum += w * d * d;
  }
  return sum / 2;
}

// sum += scale * grad^2 over n elements.
template <typename T>
void add_squares(const T* grad, T* sum, int64_t n, T scale) {
  for (int64_t i = 0; i < n; ++i) sum[i] += scale * grad[i] * grad[i];
}

}  // namespace retune::ops::reference
