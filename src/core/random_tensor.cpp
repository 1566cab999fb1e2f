#include "core/random_tensor.h"

#include <vector>

#include "core/rng.h"

namespace retune {

Tensor uniform_tensor(const Shape& shape, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<float> values(static_cast<size_t>(shape.numel()));
  for (float& value : values) value = static_cast<float>(rng.uniform(lo, hi));
  return Tensor::from_vector<float>(shape, DType::f32, values);
}

}  // namespace retune
