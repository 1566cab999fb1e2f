// Directional central differences for gradient checks of parameters held in f32 tensors.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace retune {

// (loss(v + eps u) - loss(v - eps u)) / (2 eps) for the f32 tensor `value` (contiguous) that
// loss() reads; `value` is restored afterwards.
template <typename Loss>
double central_difference(const Tensor& value, const std::vector<float>& u, float eps, Loss loss) {
  const Tensor original = value.clone();
  const auto shifted_loss = [&](float sign) {
    float* data = value.mutable_data<float>();
    const float* base = original.data<float>();
    for (size_t j = 0; j < u.size(); ++j) data[j] = base[j] + sign * eps * u[j];
    return static_cast<double>(loss());
  };
  const double measured = (shifted_loss(1) - shifted_loss(-1)) / (2 * eps);
  value.copy_from(original);
  return measured;
}

}  // namespace retune
