#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/swiglu.h"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

template <typename In, typename Out>
__global__ void swiglu_forward_kernel(const In* gate, const In* up, int64_t n, Out* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = load_f32(gate, i);
    store_f32(out, i, g / (1.0f + expf(-g)) * load_f32(up, i));
  }
}

// With s = sigmoid(gate): silu = gate * s, silu' = s * (1 + gate * (1 - s)).
template <typename In, typename DOut, typename Grad>
__global__ void swiglu_backward_kernel(const In* gate, const In* up, const DOut* dout, int64_t n,
                                       Grad* dgate, Grad* dup) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = load_f32(gate, i);
    const float d = load_f32(dout, i);
    const float s = 1.0f / (1.0f + expf(-g));
    if (dgate) store_f32(dgate, i, d * load_f32(up, i) * s * (1.0f + g * (1.0f - s)));
    if (dup) store_f32(dup, i, d * g * s);
  }
}

}  // namespace

void swiglu_forward(const void* gate, const void* up, DType in, int64_t n, void* out,
                    DType out_dtype) {
  if (n == 0) return;
  with_element_type(in, [&](auto in_type) {
    using In = decltype(in_type);
    with_element_type(out_dtype, [&](auto out_type) {
      using Out = decltype(out_type);
      swiglu_forward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
          static_cast<const In*>(gate), static_cast<const In*>(up), n, static_cast<Out*>(out));
    });
  });
  check_launch("swiglu_forward");
}

void swiglu_backward(const void* gate, const void* up, DType in, const void* dout, DType dout_dtype,
                     int64_t n, void* dgate, void* dup, DType grad_dtype) {
  if (n == 0 || (!dgate && !dup)) return;
  with_element_type(in, [&](auto in_type) {
    using In = decltype(in_type);
    with_element_type(dout_dtype, [&](auto dout_type) {
      using DOut = decltype(dout_type);
      with_element_type(grad_dtype, [&](auto grad_type) {
        using Grad = decltype(grad_type);
        swiglu_backward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
            static_cast<const In*>(gate), static_cast<const In*>(up),
            static_cast<const DOut*>(dout), n, static_cast<Grad*>(dgate), static_cast<Grad*>(dup));
      });
    });
  });
  check_launch("swiglu_backward");
}

}  // namespace retune::ops::cuda
