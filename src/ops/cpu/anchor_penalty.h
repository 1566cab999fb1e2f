// The CPU kernels of ops/anchor_penalty.h, one tensor at a time.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// grad[i] += w (value[i] - start[i]) with w = l2sp + ewc * fisher[i] (l2sp when fisher is null),
// over n elements; returns sum of w (value[i] - start[i])^2 (not halved), in double: fixed
// blocks summed in parallel, then the blocks' sums in order.
double anchor_penalty(const float* value, const float* start, const float* fisher, float* grad,
                      int64_t n, double l2sp, double ewc);

// sum[i] += scale * grad[i]^2 over n elements.
void add_squares(const float* grad, float* sum, int64_t n, float scale);

}  // namespace retune::ops::cpu
