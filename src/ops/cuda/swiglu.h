// The CUDA SwiGLU kernels (see ops/swiglu.h) on n contiguous f32 elements (device pointers).
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

void swiglu_forward(const float* gate, const float* up, int64_t n, float* out);

// dgate and dup are overwritten; either may be null.
void swiglu_backward(const float* gate, const float* up, const float* dout, int64_t n, float* dgate,
                     float* dup);

}  // namespace retune::ops::cuda
