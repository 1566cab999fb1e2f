// Parameter gradients (sums over rows) on the CPU, deterministic without atomics: the columns
// are split into blocks of kColumnBlock, and one thread sums every row of a block in row order.
// No two threads write the same column and the sums do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>

namespace retune::ops::cpu {

inline constexpr int64_t kColumnBlock = 64;

// Calls body(c0, c1) for each block [c0, c1) of the columns [0, C), in parallel.
template <typename Body>
void for_each_column_block(int64_t C, const Body& body) {
  const int64_t blocks = (C + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    body(b * kColumnBlock, std::min(C, (b + 1) * kColumnBlock));
  }
}

}  // namespace retune::ops::cpu
