#include "core/random_tensor.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "core/rng.h"

namespace retune {

Tensor uniform_tensor(const Shape& shape, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<float> values(static_cast<size_t>(shape.numel()));
  for (float& value : values) value = static_cast<float>(rng.uniform(lo, hi));
  return Tensor::from_vector<float>(shape, DType::f32, values);
}

Tensor normal_tensor(const Shape& shape, uint64_t seed, double mean, double std) {
  Rng rng(seed);
  std::vector<float> values(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < values.size(); i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));  // 1 - u is in (0, 1]
    const double angle = 2.0 * std::numbers::pi * rng.uniform();
    values[i] = static_cast<float>(mean + std * radius * std::cos(angle));
    if (i + 1 < values.size())
      values[i + 1] = static_cast<float>(mean + std * radius * std::sin(angle));
  }
  return Tensor::from_vector<float>(shape, DType::f32, values);
}

}  // namespace retune
