// Model Stock (Jang et al. 2024; mergekit's model_stock.py): the base w₀ and N >= 2 fine-tuned
// w_i. cos = the mean over pairs of the cosine between their offsets w_i − w₀ (norm products
// clamped to at least 1e-6, cosines to [-1, 1]); t = N·cos / (1 + (N − 1)·cos) (0 where the
// denominator is below 1e-6 in magnitude); result t·mean(w_i) + (1 − t)·w₀. Over the whole
// tensor, or with filter_wise per row (the last dimension; a 1-D tensor is one row). Dot
// products and norms are summed in f64, the rest is f32.
#pragma once

#include <vector>

#include "merge/tensor_group.h"

namespace retune::merge {

std::vector<float> model_stock_merge(TensorGroup& group);

}  // namespace retune::merge
