// The CPU's kernels are f32: an op given bf16 activations there (a model that keeps them in bf16,
// as on a GPU, run on the CPU by a test) widens its inputs and rounds its outputs around them.
#pragma once

#include "core/tensor.h"

namespace retune::ops::cpu {

// `t` itself when f32 (or undefined), else an f32 copy.
inline Tensor widened(const Tensor& t) {
  return !t.defined() || t.dtype() == DType::f32 ? t : t.to(DType::f32);
}

// Where an f32 kernel writes what `out` should hold: `out` itself when f32 (or undefined), else a
// new f32 tensor of its shape, which store_rounded then copies into `out`.
inline Tensor f32_output(const Tensor& out) {
  return !out.defined() || out.dtype() == DType::f32 ? out : Tensor::empty(out.shape(), DType::f32);
}

// Copies the f32 `wide` into `out` rounded to out's dtype; nothing when `wide` is `out`.
inline void store_rounded(const Tensor& out, const Tensor& wide) {
  if (out.defined() && out.dtype() != DType::f32) out.copy_from(wide.to(out.dtype()));
}

}  // namespace retune::ops::cpu
