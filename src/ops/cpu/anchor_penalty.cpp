#include "ops/cpu/anchor_penalty.h"

#include "ops/cpu/blocked_sum.h"

namespace retune::ops::cpu {

double anchor_penalty(const float* value, const float* start, const float* fisher, float* grad,
                      int64_t n, double l2sp, double ewc) {
  return blocked_sum(n, [&](int64_t begin, int64_t end) {
    double sum = 0;
    for (int64_t i = begin; i < end; ++i) {
      const double d = static_cast<double>(value[i]) - static_cast<double>(start[i]);
      const double w = l2sp + (fisher ? ewc * static_cast<double>(fisher[i]) : 0.0);
      grad[i] += static_cast<float>(w * d);
      sum += w * d * d;
    }
    return sum;
  });
}

void add_squares(const float* grad, float* sum, int64_t n, float scale) {
#pragma omp parallel for schedule(static) if (n > kSumBlock)
  for (int64_t i = 0; i < n; ++i) sum[i] += scale * (grad[i] * grad[i]);
}

}  // namespace retune::ops::cpu
