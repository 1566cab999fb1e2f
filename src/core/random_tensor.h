// Tensors of seeded random values, for initialisation, tests and benchmarks.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune {

// A contiguous f32 CPU tensor with values uniform in [lo, hi), drawn in row-major order from
// Rng(seed): the same values on every machine.
Tensor uniform_tensor(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0);

// A contiguous f32 CPU tensor with values normal(mean, std), drawn in row-major order from
// Rng(seed) by the Box-Muller transform (two values per pair of uniforms).
Tensor normal_tensor(const Shape& shape, uint64_t seed, double mean, double std);

}  // namespace retune
