// The CUDA dropout kernel (see ops/dropout.h) on n contiguous f32 elements (device pointers).
// It draws the CPU's mask bit for bit: counter_uniform (core/rng.h) is integer arithmetic and
// an exact conversion of 24 bits to f32, ported to the device unchanged.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

// out_i = keep_i ? in_i / (1 - p) : 0, p in [0, 1]; out may equal in.
void dropout(const float* in, int64_t n, float p, uint64_t seed, uint64_t offset, float* out);

}  // namespace retune::ops::cuda
