#include "train/self_distillation.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace retune::train {
namespace {

// Rows `index` of t [R, ...] stacked into a new contiguous tensor [index.size(), ...].
Tensor take_rows(const Tensor& t, const std::vector<int64_t>& index) {
  Shape shape = t.shape();
  shape[0] = static_cast<int64_t>(index.size());
  Tensor out = Tensor::empty(shape, t.dtype());
  for (size_t i = 0; i < index.size(); ++i) {
    const auto row = static_cast<int64_t>(i);
    out.slice(0, row, row + 1).copy_from(t.slice(0, index[i], index[i] + 1));
  }
  return out;
}

}  // namespace

SelfDistillation::SelfDistillation(const model::CausalLm& model, BatchStream& rows_stream,
                                   const DistillationOptions& options)
    : options_(options) {
  RETUNE_CHECK(options.weight > 0 && std::isfinite(options.weight),
               "forgetting.distill must be a finite number > 0, got {}", options.weight);
  RETUNE_CHECK(options.temperature > 0 && std::isfinite(options.temperature),
               "forgetting.distill_temperature must be a finite number > 0, got {}",
               options.temperature);
  RETUNE_CHECK(options.rows >= 1, "forgetting.distill_rows must be >= 1, got {}", options.rows);
  RETUNE_CHECK(options.batch_size >= 1, "the distillation batch size must be >= 1, got {}",
               options.batch_size);
  const int64_t count = std::min(options.rows, rows_stream.rows_in_epoch());
  const int64_t T = rows_stream.row_length();
  rows_ = Batch::allocate(count, T);
  rows_stream.fill_rows(rows_, 0, count);
  hidden_ = Tensor::empty({count, T, model.config().hidden_size}, DType::f32);
  const Device device = model.output_head().device();
  for (int64_t r0 = 0; r0 < count; r0 += options.batch_size) {
    const int64_t r1 = std::min(count, r0 + options.batch_size);
    hidden_.slice(0, r0, r1).copy_from(
        model.forward_hidden(on_device(rows_.input_ids.slice(0, r0, r1).contiguous(), device),
                             on_device(rows_.positions.slice(0, r0, r1).contiguous(), device)));
  }
  // A trained head changes: the base's is kept, on a GPU in bf16, as its products read it (the
  // same values, half the memory, no rounding pass per step).
  const Tensor& head = model.output_head();
  head_ = !options.head_trains ? head : device.is_cpu() ? head.clone() : head.to(DType::bf16);
}

double SelfDistillation::add_gradients(model::TrainingStep& step) {
  std::vector<int64_t> index;
  for (int64_t i = 0; i < options_.batch_size; ++i) index.push_back((cursor_ + i) % rows());
  cursor_ = (cursor_ + options_.batch_size) % rows();
  // The rows and the base's hidden states go to the model's device (the head's) for the step.
  const Device device = head_.device();
  const model::TokenBatch batch = model::batch_on_device(
      device, take_rows(rows_.input_ids, index), take_rows(rows_.labels, index),
      take_rows(rows_.doc_ids, index), take_rows(rows_.positions, index));
  const model::DistillationTeacher teacher{on_device(take_rows(hidden_, index), device), head_,
                                           static_cast<float>(options_.temperature)};
  return step.distill_step(batch, teacher, static_cast<float>(options_.weight));
}

void SelfDistillation::set_cursor(int64_t cursor) {
  RETUNE_CHECK(cursor >= 0 && cursor < rows(),
               "the checkpoint's distillation cursor {} is not a row of the {} distilled: it was "
               "made by another config",
               cursor, rows());
  cursor_ = cursor;
}

}  // namespace retune::train
