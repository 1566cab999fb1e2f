// Per-column scales of the rows of a matrix, on any device: what DoRA, (IA)³ and SSF do to a
// linear's output or input (adapters/lora_linear.h, ia3_linear.h, ssf_linear.h), over N rows of
// C columns. Everything f32 and contiguous; outputs are caller-allocated and may not alias the
// inputs (scale_linear_output's z, which it updates in place, aside).
//
// scale_columns: out[n, c] = (accumulate ? out[n, c] : 0) + scale[c] x[n, c] + shift[c]
//                            - subtract[n, c]
//   x, subtract, out [N, C]; scale, shift [C]; shift and subtract undefined: 0. A scaled (and,
//   for SSF, shifted) input, a scaled gradient, and with subtract = x the path (scale - 1) x of
//   an input scale to whose gradient the base product adds x itself.
//
// add_column_products: grad[c] += (sum over n of a[n, c] b[n, c]) / divisor[c]
//   a, b [N, C]; divisor, grad [C]; divisor undefined: 1. A per-column scale's gradient (DoRA's
//   magnitude's: divisor the weight's norms). Summed in a fixed order, the same bits for any
//   thread count: in double on the CPU, in f32 over fixed chunks of rows on a GPU.
//
// scale_linear_output: in place on z [N, C], a linear's output before its bias, which the model
//   adds afterwards:  z[n, c] <- scale[c] (z[n, c] + bias[c]) + shift[c] - bias[c]
//   kept [N, C], when defined, receives z + bias (what the scale's gradient reads); bias, shift
//   [C] or undefined (0).
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void scale_columns(const Tensor& x, const Tensor& scale, const Tensor& shift,
                   const Tensor& subtract, const Tensor& out, bool accumulate);

void add_column_products(const Tensor& a, const Tensor& b, const Tensor& divisor,
                         const Tensor& grad);

void scale_linear_output(const Tensor& z, const Tensor& bias, const Tensor& scale,
                         const Tensor& shift, const Tensor& kept);

}  // namespace retune::ops
