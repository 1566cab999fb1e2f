// The CPU kernel of ops/sgd.h: one elementwise pass over n parameters, in parallel when large.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// The step's constants in f32 (momentum 0: no buffer is used).
struct SgdScalars {
  float lr;
  float momentum;
  float one_minus_dampening;
  float weight_decay;
  bool nesterov;
  bool first_step;  // the buffer is set to the gradient instead of being read
};

// param and buffer (null when momentum is 0) in place; n elements each.
void sgd_step(float* param, const float* grad, float* buffer, int64_t n, const SgdScalars& scalars);

}  // namespace retune::ops::cpu
