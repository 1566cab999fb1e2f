#include "ops/cpu/clip_grad_norm.h"

#include "ops/cpu/blocked_sum.h"

namespace retune::ops::cpu {

double sum_of_squares(const float* x, int64_t n) {
  return blocked_sum(n, [&](int64_t begin, int64_t end) {
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = begin; i < end; ++i) sum += static_cast<double>(x[i]) * x[i];
    return sum;
  });
}

void scale_in_place(float* x, int64_t n, float factor) {
#pragma omp parallel for schedule(static) if (n > kSumBlock)
  for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace retune::ops::cpu
