// The CUDA dropout kernel (see ops/dropout.h) on n contiguous elements (device pointers), in and
// out each f32 or bf16 as their dtypes say. It draws the CPU's mask bit for bit: counter_uniform
// (core/rng.h) is integer arithmetic and an exact conversion of 24 bits to f32, ported to the
// device unchanged.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// out_i = keep_i ? in_i / (1 - p) : 0, p in [0, 1]; out may equal in.
void dropout(const void* in, DType in_dtype, int64_t n, float p, uint64_t seed, uint64_t offset,
             void* out, DType out_dtype);

}  // namespace retune::ops::cuda
