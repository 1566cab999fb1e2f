// The CUDA SwiGLU kernels (see ops/swiglu.h) on n contiguous elements (device pointers), each
// array f32 or bf16 as its dtype says; the arithmetic is f32.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cuda {

// gate and up share `in`; out is `out_dtype`.
void swiglu_forward(const void* gate, const void* up, DType in, int64_t n, void* out,
                    DType out_dtype);

// dgate and dup (of `grad_dtype`) are overwritten; either may be null.
void swiglu_backward(const void* gate, const void* up, DType in, const void* dout, DType dout_dtype,
                     int64_t n, void* dgate, void* dup, DType grad_dtype);

}  // namespace retune::ops::cuda
