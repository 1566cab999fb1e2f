// The element types of the GPU's activations, f32 or bf16 (a model may keep its large
// activations in bf16: model/llama_training.h), for kernels that read and write either while
// they compute in f32.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "core/dtype.h"

namespace retune::ops::cuda {

__device__ __forceinline__ float load_f32(const float* p, int64_t i) {
  return p[i];
}
__device__ __forceinline__ float load_f32(const __nv_bfloat16* p, int64_t i) {
  return __bfloat162float(p[i]);
}

__device__ __forceinline__ void store_f32(float* p, int64_t i, float value) {
  p[i] = value;
}
__device__ __forceinline__ void store_f32(__nv_bfloat16* p, int64_t i, float value) {
  p[i] = __float2bfloat16(value);
}

// Elementwise kernels take kVector consecutive elements a thread where every array is 16-byte
// aligned: one 16-byte access for a bf16 array's eight, two for an f32 one's. A warp's 2-byte
// (or 4-byte) accesses one element a thread keep too few bytes in flight to fill the memory bus.
constexpr int kVector = 8;

// v = the kVector elements of p from element i (a multiple of kVector; p 16-byte aligned), as f32.
__device__ __forceinline__ void load_vector(const float* p, int64_t i, float (&v)[kVector]) {
  const float4 low = *reinterpret_cast<const float4*>(p + i);
  const float4 high = *reinterpret_cast<const float4*>(p + i + 4);
  v[0] = low.x, v[1] = low.y, v[2] = low.z, v[3] = low.w;
  v[4] = high.x, v[5] = high.y, v[6] = high.z, v[7] = high.w;
}
__device__ __forceinline__ void load_vector(const __nv_bfloat16* p, int64_t i,
                                            float (&v)[kVector]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p + i);
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const float2 pair = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&words[k]));
    v[2 * k] = pair.x;
    v[2 * k + 1] = pair.y;
  }
}

// The kVector elements of p from element i (as load_vector) = v, rounded to p's type.
__device__ __forceinline__ void store_vector(float* p, int64_t i, const float (&v)[kVector]) {
  *reinterpret_cast<float4*>(p + i) = make_float4(v[0], v[1], v[2], v[3]);
  *reinterpret_cast<float4*>(p + i + 4) = make_float4(v[4], v[5], v[6], v[7]);
}
__device__ __forceinline__ void store_vector(__nv_bfloat16* p, int64_t i,
                                             const float (&v)[kVector]) {
  uint32_t words[4];
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const __nv_bfloat162 pair = __floats2bfloat162_rn(v[2 * k], v[2 * k + 1]);
    words[k] = *reinterpret_cast<const uint32_t*>(&pair);
  }
  *reinterpret_cast<uint4*>(p + i) = make_uint4(words[0], words[1], words[2], words[3]);
}

// Whether every pointer but the null ones is 16-byte aligned: an elementwise kernel's arrays
// may then be read and written kVector elements at a time.
inline bool vector_aligned(std::initializer_list<const void*> pointers) {
  for (const void* p : pointers) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  }
  return true;
}

// Blocks of `threads` for an elementwise kernel over n elements: a thread per kVector of them
// when `vectors`, else per element (at least one block; at most kMaxElementwiseBlocks, the grid
// striding over the rest).
constexpr unsigned kMaxElementwiseBlocks = 65535u * 4;
inline unsigned elementwise_blocks(int64_t n, bool vectors, int threads) {
  const int64_t items = vectors ? (n + kVector - 1) / kVector : n;
  const int64_t blocks = (items + threads - 1) / threads;
  return static_cast<unsigned>(
      blocks < 1 ? 1 : (blocks > kMaxElementwiseBlocks ? kMaxElementwiseBlocks : blocks));
}

// The grid's walk over n elements: vector(i) for i = 0, kVector, ... while i + kVector <= n
// when `vectors` (see vector_aligned), then element(i) for every i left, one thread each.
template <typename Vector, typename Element>
__device__ __forceinline__ void for_elements(int64_t n, bool vectors, Vector&& vector,
                                             Element&& element) {
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  int64_t done = 0;
  if (vectors) {
    const int64_t count = n / kVector;
    for (int64_t j = first; j < count; j += step) vector(kVector * j);
    done = kVector * count;
  }
  for (int64_t i = done + first; i < n; i += step) element(i);
}

// Calls f with a value of the element type of `dtype`: __nv_bfloat16 for bf16, float otherwise
// (the ops check that it is one of the two).
template <typename F>
void with_element_type(DType dtype, F&& f) {
  if (dtype == DType::bf16) {
    std::forward<F>(f)(__nv_bfloat16{});
  } else {
    std::forward<F>(f)(float{});
  }
}

}  // namespace retune::ops::cuda
