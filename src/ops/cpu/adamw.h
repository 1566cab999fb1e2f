// The CPU kernel of ops/adamw.h: one elementwise pass over n parameters, in parallel when large.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// One step's constants, computed in double by the caller from the options and the step t.
struct AdamWScalars {
  float decay;  // 1 - lr * weight_decay
  float beta1;
  float one_minus_beta1;
  float beta2;
  float one_minus_beta2;
  float step_size;              // lr / (1 - beta1^t)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  float eps;
};

// p = p * decay - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps) after updating the
// moments m and v with grad, as torch.optim.AdamW. param, m, v in place; n elements each.
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n,
                const AdamWScalars& scalars);

}  // namespace retune::ops::cpu
