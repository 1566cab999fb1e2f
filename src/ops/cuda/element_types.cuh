// The element types of the GPU's activations, f32 or bf16 (a model may keep its large
// activations in bf16: model/llama_training.h), for kernels that read and write either while
// they compute in f32.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>
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
