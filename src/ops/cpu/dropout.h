// The CPU's dropout kernel (see ops/dropout.h) on n contiguous f32 elements. The forward and
// the backward are the same map: out_i = keep_i ? in_i / (1 - p) : 0.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// p in [0, 1].
void dropout(const float* in, int64_t n, float p, uint64_t seed, uint64_t offset, float* out);

}  // namespace retune::ops::cpu
