#include "ops/cpu/sgd.h"

namespace retune::ops::cpu {

namespace {
constexpr int64_t kParallelMin = int64_t{1} << 15;  // fewer elements run on one thread
}  // namespace

void sgd_step(float* param, const float* grad, float* buffer, int64_t n, const SgdScalars& s) {
  const bool momentum = s.momentum != 0;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if (s.weight_decay != 0) g += s.weight_decay * param[i];
    if (momentum) {
      buffer[i] = s.first_step ? g : s.momentum * buffer[i] + s.one_minus_dampening * g;
      g = s.nesterov ? g + s.momentum * buffer[i] : buffer[i];
    }
    param[i] -= s.lr * g;
  }
}

}  // namespace retune::ops::cpu
