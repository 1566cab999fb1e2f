// Merging one tensor group with a method (dispatch to the method's kernel).
#pragma once

#include <vector>

#include "merge/merge_method.h"
#include "merge/task_arithmetic.h"
#include "merge/tensor_group.h"

namespace retune::merge {

// The merged tensor (f32, the group's shape); `group`'s inputs may be consumed.
std::vector<float> merge_tensor(const MethodSpec& method, TensorGroup& group,
                                const ModelThresholds& thresholds = {});

}  // namespace retune::merge
