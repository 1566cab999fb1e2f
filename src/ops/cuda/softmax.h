// The CUDA softmax kernels (see ops/softmax.h), on device pointers. x, y, dy, dx: [N, C]. One
// block per row.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

void softmax_forward(const float* x, int64_t N, int64_t C, float* y);
void softmax_backward(const float* y, const float* dy, int64_t N, int64_t C, float* dx);

}  // namespace retune::ops::cuda
