// TIES trimming over a whole model (trim_scope: model), as the TIES paper and its code trim:
// each model's task vector δ = θ − θ₀, all its merged tensors together, keeps its
// k = max(1, int(density · n)) entries of largest |δ|. mergekit trims each tensor on its own
// (trim_scope: tensor, the default), which needs no pass over the model first.
//
// The threshold is the k-th largest |δ| over the model, found exactly in two streaming passes
// over the inputs (a radix selection on the f32 bit patterns of |δ|: a histogram of the upper
// 16 bits, then of the lower 16 within the bin that holds the k-th), so memory stays bounded.
// Entries equal to it are all kept.
#pragma once

#include "merge/merge_plan.h"
#include "merge/task_arithmetic.h"

namespace retune::merge {

// Per non-base input of the plan's (one) slice, its threshold; empty unless the method is
// TIES-like (magnitude trimming with sign consensus) and trim_scope is model. Throws when
// trim_scope model is used with slices or with a density that varies over a model's tensors.
ModelThresholds model_thresholds(const MergePlan& plan);

}  // namespace retune::merge
