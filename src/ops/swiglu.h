// SwiGLU, the gated activation of Llama's and Qwen's MLP:
//
//   out = silu(gate) * up,   silu(g) = g * sigmoid(g)
//
// gate, up, out: [N, F] (any shape works: the op is elementwise), the same shape, contiguous;
// out is caller-allocated. Each tensor is f32 or bf16 (gate and up alike; the backward's dgate
// and dup alike), the arithmetic f32: a model's MLP may keep these activations in bf16.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void swiglu_forward(const Tensor& gate, const Tensor& up, const Tensor& out);

// dgate = dout * up * silu'(gate), dup = dout * silu(gate) (both overwritten; the shape of gate).
// Either may be undefined: it is skipped.
void swiglu_backward(const Tensor& gate, const Tensor& up, const Tensor& dout, const Tensor& dgate,
                     const Tensor& dup);

}  // namespace retune::ops
