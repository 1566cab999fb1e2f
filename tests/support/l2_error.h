// Euclidean norms of float vectors (a tensor's to_f32_vector()), for tests that compare results
// of different precision as a whole.
#pragma once

#include <cassert>
#include <cmath>
#include <vector>

namespace retune {

inline double l2_norm(const std::vector<float>& values) {
  double sum = 0;
  for (const float v : values) sum += static_cast<double>(v) * v;
  return std::sqrt(sum);
}

// ||got - want|| / ||want|| (NaN or infinite for a zero `want`, which then fails any bound).
inline double relative_l2_error(const std::vector<float>& got, const std::vector<float>& want) {
  assert(got.size() == want.size());
  double sum = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = static_cast<double>(got[i]) - want[i];
    sum += d * d;
  }
  return std::sqrt(sum) / l2_norm(want);
}

}  // namespace retune
