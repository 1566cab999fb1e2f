#include "train/weight_anchor.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/rng.h"

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
  double penalty = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const float* value = parameters[i].value.data<float>();
    float* grad = parameters[i].grad.mutable_data<float>();
    const float* start = start_[i].data<float>();
    const float* fisher = ewc_ > 0 ? fisher_[i].data<float>() : nullptr;
    const int64_t n = parameters[i].value.numel();
    double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (int64_t k = 0; k < n; ++k) {
      const double d = static_cast<double>(value[k]) - static_cast<double>(start[k]);
      const double weight = l2sp_ + (fisher ? ewc_ * static_cast<double>(fisher[k]) : 0.0);
      grad[k] += static_cast<float>(weight * d);
      sum += weight * d * d;
    }
    penalty += 0.5 * sum;
  }
  return penalty;
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
  std::vector<Tensor> fisher;
  for (const Parameter& p : parameters) {
    fisher.push_back(Tensor::zeros(p.value.shape(), DType::f32));
    p.grad.fill(0.0);
  }
  Rng rng(seed);
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const Batch row = rows_stream.next();
    if (row.target_tokens == 0) continue;
    sample_model_labels(model.forward(row.input_ids, row.positions), row.labels, rng);
    step.step({row.input_ids, row.labels, row.doc_ids, row.positions});
    ++counted;
    for (size_t i = 0; i < parameters.size(); ++i) {
      float* sum = fisher[i].mutable_data<float>();
      const float* grad = parameters[i].grad.data<float>();
      const int64_t n = fisher[i].numel();
#pragma omp parallel for schedule(static)
      for (int64_t k = 0; k < n; ++k) sum[k] += grad[k] * grad[k];
      parameters[i].grad.fill(0.0);
    }
  }
  RETUNE_CHECK(counted > 0, "the Fisher's {} rows have no token to score", rows);
  const float scale = 1.0f / static_cast<float>(counted);
  for (Tensor& f : fisher) {
    float* data = f.mutable_data<float>();
    for (int64_t k = 0; k < f.numel(); ++k) data[k] *= scale;
  }
  return fisher;
}

}  // namespace retune::train
