// The CUDA kernel of ops/zero_fill.h: f32 arrays zeroed, many per launch. Built with
// RETUNE_CUDA.
#pragma once

#include <cstdint>
#include <span>

namespace retune::ops::cuda {

struct ZeroFillTensor {
  float* data;  // on the current device
  int64_t n;
};

// The arrays one launch takes: passed by value as the kernel's argument (under 4 KiB).
constexpr int kZeroFillTensorsPerLaunch = 200;

void zero_fill(std::span<const ZeroFillTensor> tensors);

}  // namespace retune::ops::cuda
