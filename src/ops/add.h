// Additions of the residual stream and of linear layers' biases.
//
//   add_forward:       out = a + b                        a, b, out: f32, contiguous, one shape
//   bias_add_forward:  y[n, o] += bias[o]                 y: f32 [N, O], bias: f32 [O]
//   bias_add_backward: dbias[o] += sum over n of dy[n, o] dy: f32 [N, O], dbias: f32 [O]
//
// add's a, b and out may each be bf16 instead (a bf16 activation or gradient; the sum is f32,
// rounded once). Its out may be a or b itself (in place), otherwise it may not overlap them. dbias
// is a parameter gradient and accumulates. The gradient of add is dout for both inputs (no op).
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void add_forward(const Tensor& a, const Tensor& b, const Tensor& out);
void bias_add_forward(const Tensor& y, const Tensor& bias);
void bias_add_backward(const Tensor& dy, const Tensor& dbias);

}  // namespace retune::ops
