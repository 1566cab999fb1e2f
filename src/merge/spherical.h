// Spherical interpolation merges (mergekit's slerp.py and nuslerp.py).
//
// slerp: the base v₀ and the other input v₁, each flattened: d = <v₀/|v₀|, v₁/|v₁|> (norms
// below 1e-8 count as 1), clamped to [-1, 1]; when |d| > 0.9995, lerp (1 − t)v₀ + t v₁;
// otherwise, with θ = acos d, sin((1 − t)θ)/sin θ · v₀ + sin(tθ)/sin θ · v₁ on the unnormalized
// tensors. The norms and the dot product are summed in f64; the rest is f32 as mergekit does.
//
// nuslerp: the two non-base inputs with weights w₀, w₁, t = w₁ / (w₀ + w₁) (0.5 when
// |w₀ + w₁| < 1e-6); with a base, base + nuslerp(t, v₀ − base, v₁ − base). Vectors: the whole
// tensor (nuslerp_flatten, the default), else each row along the last dimension, or with
// nuslerp_row_wise each vector along dimension 0. A vector pair with 1 − cos² <= 1e-16 is
// lerped; norms are clamped to at least 1e-7 before normalizing.
#pragma once

#include <vector>

#include "merge/tensor_group.h"

namespace retune::merge {

std::vector<float> slerp_merge(TensorGroup& group);
std::vector<float> nuslerp_merge(TensorGroup& group);

}  // namespace retune::merge
