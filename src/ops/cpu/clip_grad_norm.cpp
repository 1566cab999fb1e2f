#include "ops/cpu/clip_grad_norm.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace retune::ops::cpu {

namespace {
constexpr int64_t kBlock = int64_t{1} << 15;  // elements per partial sum
}  // namespace

double sum_of_squares(const float* x, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t end = std::min(n, (b + 1) * kBlock);
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = b * kBlock; i < end; ++i) sum += static_cast<double>(x[i]) * x[i];
    partial[static_cast<size_t>(b)] = sum;
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

void scale_in_place(float* x, int64_t n, float factor) {
#pragma omp parallel for schedule(static) if (n > kBlock)
  for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace retune::ops::cpu
