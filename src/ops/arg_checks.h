// Argument handling shared by the ops' public APIs. Each check throws retune::Error whose message
// names the op, the argument and what was expected, e.g.
//   "rmsnorm_forward: weight is f32[5] on cpu, expected a contiguous f32[7] on cpu".
#pragma once

#include "core/tensor.h"

namespace retune::ops {

// `t` is defined, contiguous, f32 and 2-D; `dims` names the dims for the message ("[N, C]").
void check_matrix(const char* op, const char* arg, const Tensor& t, const char* dims);

// The input of a normalisation over the last dim: x is a contiguous f32 [N, C] with C >= 1, and
// eps is finite and >= 0.
void check_norm_input(const char* op, const Tensor& x, float eps);

// `t` is defined, contiguous, of `dtype` and `shape`, on `device`.
void check_tensor(const char* op, const char* arg, const Tensor& t, DType dtype, const Shape& shape,
                  Device device);

// check_tensor, and `t` is writable (an output or a gradient).
void check_output(const char* op, const char* arg, const Tensor& t, DType dtype, const Shape& shape,
                  Device device);

// What an op that takes f32 or bf16 (an activation stored in 16 bits) checks `t` against: bf16
// when `t` is bf16, else f32 (so that a wrong dtype is reported as not f32).
DType f32_or_bf16(const Tensor& t);

// `out`, which the op writes while it still reads `in`, shares no element with it.
void check_disjoint(const char* op, const char* out_name, const Tensor& out, const char* in_name,
                    const Tensor& in);

// `out` of an elementwise op is `in` itself (the same elements in the same dtype: the op runs in
// place) or shares no element with it. Both have been checked to be contiguous, of one shape.
void check_in_place_or_disjoint(const char* op, const char* out_name, const Tensor& out,
                                const char* in_name, const Tensor& in);

// The op's arguments are on `device`; throws unless this build has a backend for it (the CPU;
// CUDA with RETUNE_CUDA). Every op has a kernel for every backend the build has.
void check_backend(const char* op, Device device);

// The host data of an optional f32 gradient (already checked), or null when it is undefined.
float* optional_data(const Tensor& t);
// The device pointer of an optional f32 tensor on any device (null when undefined), for kernels.
float* optional_device_data(const Tensor& t);
// The same for an optional input, read only (a frozen bias may be a view of a mapped file).
const float* optional_input(const Tensor& t);
const float* optional_device_input(const Tensor& t);
// The device pointer of an f32 or bf16 tensor on any device (null when undefined), for kernels
// that take either (ops/cuda/element_types.cuh); the mutable one is for outputs.
const void* activation_data(const Tensor& t);
void* mutable_activation_data(const Tensor& t);

}  // namespace retune::ops
