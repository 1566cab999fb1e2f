// Rounding a strided batch of f32 or f16 matrices to a packed bf16 batch on the GPU: the inputs
// of cuBLASLt's bf16 products (ops/cuda/gemm.h). Built with RETUNE_CUDA.
#pragma once

#include <cstdint>
#include <span>

#include "core/dtype.h"

namespace retune::ops::cuda {

// packed[i, r, c] = bf16(source[i * batch_stride + r * ld + c]) for the count = matrices * rows *
// cols elements of packed [matrices, rows, cols]; source is f32 or f16 (dtype), on the device.
void pack_bf16(const void* source, DType dtype, int64_t rows, int64_t cols, int64_t ld,
               int64_t batch_stride, int64_t count, uint16_t* packed);

// packed[i] = bf16(source[i]) for the n elements of one contiguous f32 array (device pointers).
struct PackedArray {
  const float* source;
  uint16_t* packed;
  int64_t n;
};
constexpr int kPackedArraysPerLaunch = 128;

// pack_bf16 for many contiguous f32 arrays at once, kPackedArraysPerLaunch a launch.
void pack_bf16_arrays(std::span<const PackedArray> arrays);

}  // namespace retune::ops::cuda
