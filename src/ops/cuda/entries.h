// The CUDA kernels of ops/entries.h, on device pointers of the current device.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

void gather_entries(const float* source, const int64_t* indices, int64_t k, float* out);

void scatter_entries(float* target, const int64_t* indices, int64_t k, const float* values);

}  // namespace retune::ops::cuda
