#include "model/training_steps.h"

#include "core/error.h"
#include "ops/cross_entropy_head.h"
#include "ops/kl_divergence_head.h"

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

float output_head_loss(const char* model, const Tensor& hidden, const Tensor& head,
                       const Tensor& head_grad, const Tensor& labels,
                       const DistillationTeacher* teacher, float dloss, const Tensor& dhidden) {
  const int64_t N = hidden.size(0);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  const Tensor row_labels = labels.contiguous().reshape({N});
  if (!teacher) {
    ops::cross_entropy_head_forward_backward(
        hidden, head, row_labels, loss, Tensor::empty({N}, DType::f32), dhidden, head_grad, dloss);
    return *loss.data<float>();
  }
  const Shape want{labels.size(0), labels.size(1), hidden.size(1)};
  RETUNE_CHECK(teacher->hidden.defined() && teacher->hidden.dtype() == DType::f32 &&
                   teacher->hidden.shape() == want,
               "{}: the teacher's hidden states must be f32 {}, got {}", model, want.str(),
               teacher->hidden.defined() ? teacher->hidden.describe() : "undefined");
  ops::kl_divergence_head_forward_backward(
      hidden, head, teacher->hidden.contiguous().reshape(hidden.shape()), teacher->head, row_labels,
      teacher->temperature, loss, dhidden, head_grad, dloss);
  return *loss.data<float>();
}

}  // namespace retune::model
