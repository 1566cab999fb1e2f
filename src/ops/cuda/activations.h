// The CUDA activation kernels (see ops/activations.h) on n contiguous f32 elements (device
// pointers), with the CPU kernels' formulas.
#pragma once

#include <cstdint>

#include "ops/activations.h"

namespace retune::ops::cuda {

void silu_forward(const float* x, int64_t n, float* out);
void silu_backward(const float* x, const float* dout, int64_t n, float* dx);

void gelu_forward(const float* x, int64_t n, GeluApproximation approximation, float* out);
void gelu_backward(const float* x, const float* dout, int64_t n, GeluApproximation approximation,
                   float* dx);

}  // namespace retune::ops::cuda
