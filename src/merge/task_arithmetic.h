// Generalized task arithmetic (mergekit's GeneralizedTaskArithmeticMerge): task_arithmetic,
// ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties, della, della_linear.
//
// For the base θ₀ and each other input θ_i with weight w_i: δ_i = sparsify(θ_i − θ₀) (the
// method's sparsification with the input's density, gamma, epsilon; merge/sparsify.h), then
// w_i·δ_i. Without consensus the merged delta is Σ w_i δ_i, divided by Σ w_i when normalize is
// on (unless |Σ w_i| < 1e-8). With sign consensus ("sum", TIES) an entry's sign is the sign of
// Σ w_i δ_i (>= 0: positive), only the w_i δ_i of that sign (and non-zero) are summed, and
// normalize divides by the sum of their weights (at least 1 where none agrees). The result is
// θ₀ + λ·delta. All in f32, in the order mergekit computes.
#pragma once

#include <vector>

#include "merge/merge_method.h"
#include "merge/tensor_group.h"

namespace retune::merge {

// Per non-base input, a magnitude threshold found over its whole task vector (ties with
// trim_scope: model); empty: trim per tensor.
using ModelThresholds = std::vector<float>;

std::vector<float> task_arithmetic_merge(const MethodSpec& method, TensorGroup& group,
                                         const ModelThresholds& thresholds = {});

}  // namespace retune::merge
