// Elementwise activations, on f32 tensors of any shape (treated as N flat elements):
//
//   silu(x) = x * sigmoid(x)
//   gelu(x) = 0.5 x (1 + erf(x / sqrt(2)))                                    (none)
//           = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))              (tanh)
//
// GeluApproximation matches PyTorch's approximate='none' / 'tanh' (GPT-2 uses tanh).
// x, out, dout, dx: the same shape, contiguous; outputs are caller-allocated.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

enum class GeluApproximation { none, tanh };

void silu_forward(const Tensor& x, const Tensor& out);
// dx = dout * silu'(x) (overwritten).
void silu_backward(const Tensor& x, const Tensor& dout, const Tensor& dx);

void gelu_forward(const Tensor& x, const Tensor& out, GeluApproximation approximation);
// dx = dout * gelu'(x) (overwritten).
void gelu_backward(const Tensor& x, const Tensor& dout, const Tensor& dx,
                   GeluApproximation approximation);

}  // namespace retune::ops
