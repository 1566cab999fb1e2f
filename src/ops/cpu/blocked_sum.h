// A deterministic parallel sum for the CPU kernels that reduce over whole tensors (clip_grad_norm,
// anchor_penalty): fixed blocks of kSumBlock elements, each summed by one thread, then the blocks'
// sums added in order, so the result does not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace retune::ops::cpu {

inline constexpr int64_t kSumBlock = int64_t{1} << 15;  // elements per partial sum

// The sum over blocks [b, e) covering [0, n) of block_sum(b, e), a double.
template <typename BlockSum>
double blocked_sum(int64_t n, const BlockSum& block_sum) {
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    partial[static_cast<size_t>(b)] = block_sum(b * kSumBlock, std::min(n, (b + 1) * kSumBlock));
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

}  // namespace retune::ops::cpu
