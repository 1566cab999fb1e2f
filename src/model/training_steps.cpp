#include "model/training_steps.h"

#include <algorithm>

#include "core/error.h"
#include "ops/add.h"
#include "ops/cross_entropy_head.h"
#include "ops/kl_divergence_head.h"
#include "ops/matmul.h"

namespace retune::model {
namespace {

// Below this many elements one thread adds (a parallel region costs more).
constexpr int64_t kParallelElements = 1 << 15;

}  // namespace

void add_into(const Tensor& to, const Tensor& from) {
  ops::add_forward(to, from, to);
}

Tensor sum_of(const Tensor& a, const Tensor& b) {
  Tensor sum = Tensor::empty(a.shape(), DType::f32, a.device());
  ops::add_forward(a, b, sum);
  return sum;
}

void add_column_sums(const Tensor& dy, const Tensor& bias_grad) {
  ops::bias_add_backward(dy, bias_grad);
}

void add_column_products(const Tensor& a, const Tensor& b, const Tensor& grad) {
  const int64_t N = a.size(0), C = a.size(1);
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* gp = grad.mutable_data<float>();
  constexpr int64_t kColumns = 64;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < C; c0 += kColumns) {
    const int64_t c1 = std::min(C, c0 + kColumns);
    double sums[kColumns] = {};
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t c = c0; c < c1; ++c) {
        sums[c - c0] += static_cast<double>(ap[n * C + c]) * bp[n * C + c];
      }
    }
    for (int64_t c = c0; c < c1; ++c) gp[c] += static_cast<float>(sums[c - c0]);
  }
}

Tensor scaled_columns(const Tensor& x, const Tensor& scale, const Tensor& shift) {
  const int64_t N = x.size(0), C = x.size(1);
  Tensor out = Tensor::empty(x.shape(), DType::f32);
  const float* xp = x.data<float>();
  const float* sp = scale.data<float>();
  const float* bp = shift.defined() ? shift.data<float>() : nullptr;
  float* op = out.mutable_data<float>();
#pragma omp parallel for schedule(static) if (N * C >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) op[n * C + c] = xp[n * C + c] * sp[c] + (bp ? bp[c] : 0.0f);
  }
  return out;
}

void scale_linear_output(const Tensor& z, const Tensor& bias, const Tensor& scale,
                         const Tensor& shift, Tensor* kept) {
  const int64_t N = z.size(0), C = z.size(1);
  float* zp = z.mutable_data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  const float* sp = scale.data<float>();
  const float* hp = shift.defined() ? shift.data<float>() : nullptr;
  float* keep = nullptr;
  if (kept) {
    *kept = Tensor::empty(z.shape(), DType::f32);
    keep = kept->mutable_data<float>();
  }
#pragma omp parallel for schedule(static) if (N * C >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t at = n * C + c;
      const float b_c = b ? b[c] : 0.0f;
      const float y = zp[at] + b_c;
      if (keep) keep[at] = y;
      zp[at] = y * sp[c] - b_c + (hp ? hp[c] : 0.0f);
    }
  }
}

void write_input_scale_path(const Tensor& g, const Tensor& scale, const Tensor& dx,
                            bool accumulate_dx) {
  const int64_t N = g.size(0), C = g.size(1);
  float* gp = g.mutable_data<float>();
  const float* sp = scale.data<float>();
#pragma omp parallel for schedule(static) if (N * C >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) gp[n * C + c] *= sp[c] - 1.0f;
  }
  if (accumulate_dx) {
    add_into(dx, g);
  } else {
    dx.copy_from(g);
  }
}

Tensor output_head_loss(const char* model, const Tensor& hidden, const Tensor& head,
                        const Tensor& head_grad, const Tensor& labels, const Tensor& host_labels,
                        const DistillationTeacher* teacher, float dloss, const Tensor& dhidden) {
  const int64_t N = hidden.size(0);
  const Device device = hidden.device();
  const Tensor loss = Tensor::empty({1}, DType::f32, device);
  const Tensor row_labels = labels.contiguous().reshape({N});
  if (!teacher) {
    ops::cross_entropy_head_forward_backward(
        hidden, head, row_labels, loss, Tensor::empty({N}, DType::f32, device), dhidden, head_grad,
        dloss, ops::kCrossEntropyHeadChunk,
        host_labels.defined() ? host_labels.contiguous().reshape({N}) : Tensor());
    return loss;
  }
  const Shape want{labels.size(0), labels.size(1), hidden.size(1)};
  RETUNE_CHECK(teacher->hidden.defined() && teacher->hidden.dtype() == DType::f32 &&
                   teacher->hidden.shape() == want,
               "{}: the teacher's hidden states must be f32 {}, got {}", model, want.str(),
               teacher->hidden.defined() ? teacher->hidden.describe() : "undefined");
  ops::kl_divergence_head_forward_backward(
      hidden, head, teacher->hidden.contiguous().reshape(hidden.shape()), teacher->head, row_labels,
      teacher->temperature, loss, dhidden, head_grad, dloss, ops::kCrossEntropyHeadChunk,
      host_labels.defined() ? host_labels.contiguous().reshape({N}) : Tensor());
  return loss;
}

Tensor begin_training_step(const char* model, const TokenBatch& batch, Device device,
                           const AdapterTable& adapters) {
  const int64_t B = batch.input_ids.size(0);
  const int64_t T = batch.input_ids.size(1);
  RETUNE_CHECK(batch.input_ids.device() == device, "{}: the batch is on {}, the model on {}", model,
               device_name(batch.input_ids.device()), device_name(device));
  RETUNE_CHECK(batch.labels.dtype() == DType::i32 && batch.labels.shape() == (Shape{B, T}),
               "{}: labels must be i32 [{}, {}], got {}", model, B, T, batch.labels.describe());
  RETUNE_CHECK(!batch.host_labels.defined() || (batch.host_labels.dtype() == DType::i32 &&
                                                batch.host_labels.shape() == (Shape{B, T}) &&
                                                batch.host_labels.device().is_cpu()),
               "{}: host_labels must be i32 [{}, {}] on cpu, got {}", model, B, T,
               batch.host_labels.describe());
  if (device.is_cpu()) return Tensor();
  const Tensor host_labels =
      batch.host_labels.defined() ? batch.host_labels : batch.labels.to(Device::cpu());
  ops::prepare_product_operands(adapters.product_weights());
  return host_labels;
}

}  // namespace retune::model
