#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/swiglu.h"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float swiglu(float g, float u) {
  return g / (1.0f + expf(-g)) * u;
}

template <typename In, typename Out>
__global__ void swiglu_forward_kernel(const In* gate, const In* up, int64_t n, bool vectors,
                                      Out* out) {
  for_elements(
      n, vectors,
      [&](int64_t i) {
        float g[kVector], u[kVector];
        load_vector(gate, i, g);
        load_vector(up, i, u);
#pragma unroll
        for (int k = 0; k < kVector; ++k) g[k] = swiglu(g[k], u[k]);
        store_vector(out, i, g);
      },
      [&](int64_t i) { store_f32(out, i, swiglu(load_f32(gate, i), load_f32(up, i))); });
}

// With s = sigmoid(gate): silu = gate * s, silu' = s * (1 + gate * (1 - s)). The gradients of
// gate (into dg) and up (into du) given g = gate, u = up and d = dout.
__device__ __forceinline__ void swiglu_gradients(float g, float u, float d, float& dg, float& du) {
  const float s = 1.0f / (1.0f + expf(-g));
  dg = d * u * s * (1.0f + g * (1.0f - s));
  du = d * g * s;
}

template <typename In, typename DOut, typename Grad>
__global__ void swiglu_backward_kernel(const In* gate, const In* up, const DOut* dout, int64_t n,
                                       bool vectors, Grad* dgate, Grad* dup) {
  for_elements(
      n, vectors,
      [&](int64_t i) {
        float g[kVector], u[kVector], d[kVector];
        load_vector(gate, i, g);
        load_vector(up, i, u);
        load_vector(dout, i, d);
#pragma unroll
        for (int k = 0; k < kVector; ++k) swiglu_gradients(g[k], u[k], d[k], g[k], u[k]);
        if (dgate) store_vector(dgate, i, g);
        if (dup) store_vector(dup, i, u);
      },
      [&](int64_t i) {
        float dg, du;
        swiglu_gradients(load_f32(gate, i), load_f32(up, i), load_f32(dout, i), dg, du);
        if (dgate) store_f32(dgate, i, dg);
        if (dup) store_f32(dup, i, du);
      });
}

}  // namespace

void swiglu_forward(const void* gate, const void* up, DType in, int64_t n, void* out,
                    DType out_dtype) {
  if (n == 0) return;
  with_element_type(in, [&](auto in_type) {
    using In = decltype(in_type);
    with_element_type(out_dtype, [&](auto out_type) {
      using Out = decltype(out_type);
      const bool vectors = vector_aligned({gate, up, out});
      swiglu_forward_kernel<<<elementwise_blocks(n, vectors, kThreads), kThreads, 0, stream()>>>(
          static_cast<const In*>(gate), static_cast<const In*>(up), n, vectors,
          static_cast<Out*>(out));
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
        const bool vectors = vector_aligned({gate, up, dout, dgate, dup});
        swiglu_backward_kernel<<<elementwise_blocks(n, vectors, kThreads), kThreads, 0, stream()>>>(
            static_cast<const In*>(gate), static_cast<const In*>(up),
            static_cast<const DOut*>(dout), n, vectors, static_cast<Grad*>(dgate),
            static_cast<Grad*>(dup));
      });
    });
  });
  check_launch("swiglu_backward");
}

}  // namespace retune::ops::cuda
