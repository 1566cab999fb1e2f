// The CPU's softmax kernels (see ops/softmax.h). x, y, dy, dx: [N, C]. Parallel over rows.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

void softmax_forward(const float* x, int64_t N, int64_t C, float* y);
void softmax_backward(const float* y, const float* dy, int64_t N, int64_t C, float* dx);

}  // namespace retune::ops::cpu
