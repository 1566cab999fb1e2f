#include "ops/cuda/column_scale.h"
#include "ops/cuda/column_sums.cuh"
#include "ops/cuda/element_types.cuh"
#include "ops/cuda/launch.cuh"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void scale_columns_kernel(const float* x, const float* scale, const float* shift,
                                     const float* subtract, float* out, int64_t N, int64_t C,
                                     bool accumulate) {
  const int64_t count = N * C;
  for (int64_t at = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; at < count;
       at += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t c = at % C;
    float value = scale[c] * x[at];
    if (shift) value += shift[c];
    if (subtract) value -= subtract[at];
    out[at] = accumulate ? out[at] + value : value;
  }
}

__global__ void scale_linear_output_kernel(float* z, const float* bias, const float* scale,
                                           const float* shift, float* kept, int64_t N, int64_t C) {
  const int64_t count = N * C;
  for (int64_t at = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; at < count;
       at += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t c = at % C;
    const float b = bias ? bias[c] : 0.0f;
    const float y = z[at] + b;
    if (kept) kept[at] = y;
    z[at] = y * scale[c] - b + (shift ? shift[c] : 0.0f);
  }
}

// Element (n, c) of a ⊙ b / divisor[c] (divisor null: 1).
struct ColumnProduct {
  const float* a;
  const float* b;
  const float* divisor;
  int64_t C;
  __device__ float operator()(int64_t n, int64_t c) const {
    const float product = a[n * C + c] * b[n * C + c];
    return divisor ? product / divisor[c] : product;
  }
};

}  // namespace

void scale_columns(const float* x, const float* scale, const float* shift, const float* subtract,
                   float* out, int64_t N, int64_t C, bool accumulate) {
  if (N * C == 0) return;
  scale_columns_kernel<<<elementwise_blocks(N * C, false, kThreads), kThreads, 0, stream()>>>(
      x, scale, shift, subtract, out, N, C, accumulate);
  check_launch("scale_columns");
}

void add_column_products(const float* a, const float* b, const float* divisor, int64_t N, int64_t C,
                         float* grad) {
  add_column_sums(ColumnProduct{a, b, divisor, C}, N, C, grad, "add_column_products");
}

void scale_linear_output(float* z, const float* bias, const float* scale, const float* shift,
                         float* kept, int64_t N, int64_t C) {
  if (N * C == 0) return;
  scale_linear_output_kernel<<<elementwise_blocks(N * C, false, kThreads), kThreads, 0, stream()>>>(
      z, bias, scale, shift, kept, N, C);
  check_launch("scale_linear_output");
}

}  // namespace retune::ops::cuda
