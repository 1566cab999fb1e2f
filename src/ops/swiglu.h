// SwiGLU, the gated activation of Llama's and Qwen's MLP:
//
//   out = silu(gate) * up,   silu(g) = g * sigmoid(g)
//
// gate, up, out: f32 [N, F] (any shape works: the op is elementwise), the same shape, contiguous;
// out is caller-allocated.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void swiglu_forward(const Tensor& gate, const Tensor& up, const Tensor& out);

// dgate = dout * up * silu'(gate), dup = dout * silu(gate) (both overwritten; the shape of gate).
// Either may be undefined: it is skipped.
void swiglu_backward(const Tensor& gate, const Tensor& up, const Tensor& dout, const Tensor& dgate,
                     const Tensor& dup);

}  // namespace retune::ops
