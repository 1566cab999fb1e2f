#include "ops/cpu/adamw.h"

#include <cmath>

namespace retune::ops::cpu {

namespace {
constexpr int64_t kParallelMin = int64_t{1} << 15;  // fewer elements run on one thread
}  // namespace

void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n,
                const AdamWScalars& s) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = s.beta1 * m[i] + s.one_minus_beta1 * g;
    v[i] = s.beta2 * v[i] + s.one_minus_beta2 * g * g;
    const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;
    param[i] = param[i] * s.decay - s.step_size * (m[i] / denom);
  }
}

}  // namespace retune::ops::cpu
