#include "model/training_steps.h"

#include "core/error.h"
#include "ops/add.h"
#include "ops/cross_entropy_head.h"
#include "ops/kl_divergence_head.h"
#include "ops/matmul.h"

namespace retune::model {

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
