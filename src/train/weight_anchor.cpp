#include "train/weight_anchor.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/rng.h"
#include "ops/anchor_penalty.h"

namespace retune::train {

WeightAnchor::WeightAnchor(const std::vector<Parameter>& parameters, double l2sp, double ewc)
    : l2sp_(l2sp), ewc_(ewc) {
  RETUNE_CHECK(l2sp >= 0 && ewc >= 0, "penalty weights must be >= 0, got l2sp {} and ewc {}", l2sp,
               ewc);
  for (const Parameter& p : parameters) start_.push_back(p.value.clone());
}

void WeightAnchor::set_fisher(std::vector<Tensor> fisher) {
  RETUNE_CHECK(fisher.size() == start_.size(), "a Fisher of {} tensors for {} parameters",
               fisher.size(), start_.size());
  for (size_t i = 0; i < fisher.size(); ++i) {
    RETUNE_CHECK(fisher[i].shape() == start_[i].shape() && fisher[i].dtype() == DType::f32,
                 "Fisher tensor {} is not f32 of shape {}", i, start_[i].shape().str());
  }
  fisher_ = std::move(fisher);
}

double WeightAnchor::add_gradients(const std::vector<Parameter>& parameters) const {
  RETUNE_CHECK(parameters.size() == start_.size(), "{} parameters for an anchor of {}",
               parameters.size(), start_.size());
  RETUNE_CHECK(ewc_ == 0 || !fisher_.empty(), "EWC needs the Fisher before training");
  std::vector<ops::AnchoredTensor> tensors;
  for (size_t i = 0; i < parameters.size(); ++i) {
    tensors.push_back(
        {parameters[i].value, start_[i], ewc_ > 0 ? fisher_[i] : Tensor(), parameters[i].grad});
  }
  return ops::anchor_penalty(tensors, l2sp_, ewc_);
}

void sample_model_labels(const Tensor& logits, const Tensor& labels, Rng& rng) {
  const int64_t length = labels.shape()[1];
  const int64_t vocab = logits.shape()[2];
  int32_t* label = labels.mutable_data<int32_t>();
  for (int64_t t = 0; t < length; ++t) {
    if (label[t] < 0) continue;
    const float* z = logits.data<float>() + t * vocab;
    const float top = *std::max_element(z, z + vocab);
    double total = 0;
    for (int64_t v = 0; v < vocab; ++v) total += std::exp(static_cast<double>(z[v] - top));
    double u = rng.uniform() * total;
    int64_t drawn = vocab - 1;
    for (int64_t v = 0; v < vocab; ++v) {
      u -= std::exp(static_cast<double>(z[v] - top));
      if (u < 0) {
        drawn = v;
        break;
      }
    }
    label[t] = static_cast<int32_t>(drawn);
  }
}

std::vector<Tensor> diagonal_fisher(const model::CausalLm& model, model::TrainingStep& step,
                                    const std::vector<Parameter>& parameters,
                                    BatchStream& rows_stream, int64_t rows, uint64_t seed) {
  RETUNE_CHECK(rows >= 1, "the Fisher needs at least one row, got {}", rows);
  // The rows first: the mean's divisor is the number with a token to score.
  std::vector<Batch> scored;
  for (int64_t r = 0; r < rows; ++r) {
    Batch row = rows_stream.next();
    if (row.target_tokens > 0) scored.push_back(std::move(row));
  }
  RETUNE_CHECK(!scored.empty(), "the Fisher's {} rows have no token to score", rows);
  std::vector<Tensor> fisher;
  std::vector<Tensor> grads;
  for (const Parameter& p : parameters) {
    fisher.push_back(Tensor::zeros(p.value.shape(), DType::f32, p.value.device()));
    grads.push_back(p.grad);
    p.grad.fill(0.0);
  }
  // The model's own device (the parameters' when it trains on a GPU); the labels are drawn on the
  // host.
  const Device device = model.output_head().device();
  const float scale = 1.0f / static_cast<float>(scored.size());
  Rng rng(seed);
  for (const Batch& row : scored) {
    // The row on the model's device, its labels replaced there once drawn (on the CPU they are
    // the row's own, drawn in place).
    model::TokenBatch batch =
        model::batch_on_device(device, row.input_ids, row.labels, row.doc_ids, row.positions);
    sample_model_labels(on_device(model.forward(batch.input_ids, batch.positions), Device::cpu()),
                        row.labels, rng);
    batch.labels = on_device(row.labels, device);
    step.step(batch);
    ops::add_squares(grads, fisher, scale);
    for (const Tensor& grad : grads) grad.fill(0.0);
  }
  return fisher;
}

}  // namespace retune::train
