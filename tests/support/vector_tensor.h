// vector_tensor({...}): a 1-D f32 CPU tensor holding the values, for small hand-written cases.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace retune {

inline Tensor vector_tensor(const std::vector<float>& values) {
  return Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, DType::f32, values);
}

}  // namespace retune
