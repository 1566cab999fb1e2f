#include "ops/cuda/add.h"
#include "ops/cuda/column_sums.cuh"
#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {
namespace {

constexpr int kThreads = 256;

template <typename A, typename B, typename Out>
__global__ void add_kernel(const A* a, const B* b, Out* out, int64_t n, bool vectors) {
  for_elements(
      n, vectors,
      [&](int64_t i) {
        float x[kVector], y[kVector];
        load_vector(a, i, x);
        load_vector(b, i, y);
#pragma unroll
        for (int k = 0; k < kVector; ++k) x[k] += y[k];
        store_vector(out, i, x);
      },
      [&](int64_t i) { store_f32(out, i, load_f32(a, i) + load_f32(b, i)); });
}

__global__ void bias_kernel(float* y, const float* bias, int64_t N, int64_t O) {
  const int64_t count = N * O;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    y[i] += bias[i % O];
  }
}

}  // namespace

void add_forward(const void* a, DType a_dtype, const void* b, DType b_dtype, void* out,
                 DType out_dtype, int64_t n) {
  if (n == 0) return;
  with_element_type(a_dtype, [&](auto a_type) {
    with_element_type(b_dtype, [&](auto b_type) {
      with_element_type(out_dtype, [&](auto out_type) {
        using A = decltype(a_type);
        using B = decltype(b_type);
        using Out = decltype(out_type);
        const bool vectors = vector_aligned({a, b, out});
        add_kernel<<<elementwise_blocks(n, vectors, kThreads), kThreads, 0, stream()>>>(
            static_cast<const A*>(a), static_cast<const B*>(b), static_cast<Out*>(out), n, vectors);
      });
    });
  });
  check_launch("add_forward");
}

void bias_add_forward(float* y, const float* bias, int64_t N, int64_t O) {
  if (N * O == 0) return;
  bias_kernel<<<elementwise_blocks(N * O, false, kThreads), kThreads, 0, stream()>>>(y, bias, N, O);
  check_launch("bias_add_forward");
}

void bias_add_backward(const float* dy, float* dbias, int64_t N, int64_t O) {
  add_column_sums(MatrixElement{dy, O}, N, O, dbias, "bias_add_backward");
}

}  // namespace retune::ops::cuda
