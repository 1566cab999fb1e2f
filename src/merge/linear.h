// Linear merges: mergekit's linear (model soups, Wortsman et al. 2022) and passthrough.
//
// linear: Σ w_i θ_i over every input (the base too, when it is one), divided by Σ w_i when
// normalize is on (the default); f32 as mergekit computes it (weights rounded to f32 first).
// passthrough: the one input, times its scale when one is set.
#pragma once

#include <vector>

#include "merge/tensor_group.h"

namespace retune::merge {

std::vector<float> linear_merge(TensorGroup& group);
std::vector<float> passthrough_merge(TensorGroup& group);

}  // namespace retune::merge
