#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "ops/cuda/bf16_pack.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/tensor_batches.cuh"

namespace retune::ops::cuda {
namespace {

// matrix i, row r, column c of a strided f32 or f16 batch -> a packed bf16 batch [batch, rows,
// cols].
template <typename Source>
__global__ void pack_bf16_elements(const Source* source, int64_t rows, int64_t cols, int64_t ld,
                                   int64_t batch_stride, int64_t count, __nv_bfloat16* packed) {
  const int64_t per_matrix = rows * cols;
  for (int64_t at = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; at < count;
       at += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = at / per_matrix;
    const int64_t r = (at % per_matrix) / cols;
    const int64_t c = at % cols;
    packed[at] = __float2bfloat16(static_cast<float>(source[i * batch_stride + r * ld + c]));
  }
}

// The contiguous f32 case (the activations of every linear): four elements per thread through
// 16-byte loads and 8-byte stores, then the tail one at a time.
__global__ void pack_contiguous_f32(const float* source, int64_t count, __nv_bfloat16* packed) {
  const int64_t quads = count / 4;
  const auto* in = reinterpret_cast<const float4*>(source);
  auto* out = reinterpret_cast<__nv_bfloat162*>(packed);
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  for (int64_t q = first; q < quads; q += step) {
    const float4 v = in[q];
    out[2 * q] = __floats2bfloat162_rn(v.x, v.y);
    out[2 * q + 1] = __floats2bfloat162_rn(v.z, v.w);
  }
  for (int64_t at = 4 * quads + first; at < count; at += step) {
    packed[at] = __float2bfloat16(source[at]);
  }
}

__global__ void pack_arrays_kernel(ItemBatch<PackedArray, kPackedArraysPerLaunch> batch) {
  const PackedArray& a = batch.items[blockIdx.y];
  auto* packed = reinterpret_cast<__nv_bfloat16*>(a.packed);
  for_each_element(a.n, [&](int64_t i) { packed[i] = __float2bfloat16(a.source[i]); });
}

}  // namespace

void pack_bf16_arrays(std::span<const PackedArray> arrays) {
  launch_in_batches<kPackedArraysPerLaunch>(arrays, pack_arrays_kernel, "pack_bf16_arrays");
}

void pack_bf16(const void* source, DType dtype, int64_t rows, int64_t cols, int64_t ld,
               int64_t batch_stride, int64_t count, uint16_t* packed) {
  constexpr int kThreads = 256;
  const unsigned blocks = std::min(blocks_for(count, kThreads), 65535u * 8);
  auto* out = reinterpret_cast<__nv_bfloat16*>(packed);
  const bool contiguous = ld == cols && (batch_stride == rows * cols || count == rows * cols);
  const bool aligned =
      reinterpret_cast<uintptr_t>(source) % 16 == 0 && reinterpret_cast<uintptr_t>(packed) % 8 == 0;
  if (dtype == DType::f32 && contiguous && aligned) {
    const unsigned quad_blocks = std::min(blocks_for((count + 3) / 4, kThreads), 65535u * 8);
    pack_contiguous_f32<<<quad_blocks, kThreads, 0, stream()>>>(static_cast<const float*>(source),
                                                                count, out);
  } else if (dtype == DType::f16) {
    pack_bf16_elements<<<blocks, kThreads, 0, stream()>>>(static_cast<const __half*>(source), rows,
                                                          cols, ld, batch_stride, count, out);
  } else {
    pack_bf16_elements<<<blocks, kThreads, 0, stream()>>>(static_cast<const float*>(source), rows,
                                                          cols, ld, batch_stride, count, out);
  }
  check_launch("pack_bf16");
}

}  // namespace retune::ops::cuda
