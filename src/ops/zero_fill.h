// zero_fill: every element of each tensor set to 0, as Tensor::fill(0) on each. On a GPU the
// contiguous f32 tensors share kernel launches (cuda::kZeroFillTensorsPerLaunch per launch):
// an optimizer zeroes hundreds of adapter gradients each step, which would otherwise be
// hundreds of separate memsets.
#pragma once

#include <span>

#include "core/tensor.h"

namespace retune::ops {

void zero_fill(std::span<const Tensor> tensors);

}  // namespace retune::ops
