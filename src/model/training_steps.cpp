#include "model/training_steps.h"

namespace retune::model {
namespace {

// Below this many elements one thread adds (a parallel region costs more).
constexpr int64_t kParallelElements = 1 << 15;

}  // namespace

void add_into(const Tensor& to, const Tensor& from) {
  float* out = to.mutable_data<float>();
  const float* in = from.data<float>();
  const int64_t n = to.numel();
#pragma omp parallel for simd schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) out[i] += in[i];
}

Tensor sum_of(const Tensor& a, const Tensor& b) {
  Tensor sum = Tensor::empty(a.shape(), DType::f32);
  float* out = sum.mutable_data<float>();
  const float* x = a.data<float>();
  const float* y = b.data<float>();
  const int64_t n = a.numel();
#pragma omp parallel for simd schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] + y[i];
  return sum;
}

void add_column_sums(const Tensor& dy, const Tensor& bias_grad) {
  const int64_t rows = dy.size(0);
  const int64_t width = dy.size(1);
  const float* g = dy.data<float>();
  float* out = bias_grad.mutable_data<float>();
  for (int64_t n = 0; n < rows; ++n) {
    for (int64_t o = 0; o < width; ++o) out[o] += g[n * width + o];
  }
}

}  // namespace retune::model
