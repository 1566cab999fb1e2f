// Checks shared by the architectures' training-step tests (tests/model/*_training_test.cpp),
// written once over the model class (LlamaModel, Gpt2Model) and run through
// model::make_training_step.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "io/safetensors_file.h"
#include "model/token_batch.h"
#include "model/trainable_weights.h"
#include "support/model_parity.h"

namespace retune {

// Every trained weight's gradient by name (copies).
inline std::map<std::string, Tensor> gradients_by_name(const model::TrainingSetup& setup) {
  std::map<std::string, Tensor> by_name;
  for (const model::TrainedWeight& weight : setup.weights)
    by_name[weight.name] = weight.grad.clone();
  return by_name;
}

inline bool everything(const std::string&) {
  return true;
}

// The fixture's input_ids [2, 12] with labels = the next token (the last one and a few others
// unscored).
inline model::TokenBatch fixture_batch(const std::string& name) {
  const Tensor ids = SafetensorsFile::open(hf_model_fixture(name) / "reference.safetensors")
                         .tensor("input_ids")
                         .to(DType::i32)
                         .contiguous();
  Tensor labels = Tensor::empty(ids.shape(), DType::i32);
  const int32_t* in = ids.data<int32_t>();
  int32_t* out = labels.mutable_data<int32_t>();
  const int64_t T = ids.size(1);
  for (int64_t i = 0; i < ids.numel(); ++i) {
    out[i] = (i % T == T - 1 || i % 5 == 2) ? -100 : in[i + 1];
  }
  return {ids, labels, Tensor(), Tensor()};
}

// The fixture batch packed: two documents per row (5 and 7 tokens), positions restarting.
inline model::TokenBatch packed_fixture_batch(const std::string& name) {
  model::TokenBatch batch = fixture_batch(name);
  std::vector<int32_t> docs, positions;
  for (int64_t b = 0; b < 2; ++b) {
    for (int32_t t = 0; t < 12; ++t) {
      docs.push_back(t < 5 ? 0 : 1);
      positions.push_back(t < 5 ? t : t - 5);
    }
  }
  batch.doc_ids = Tensor::from_vector<int32_t>({2, 12}, DType::i32, docs);
  batch.positions = Tensor::from_vector<int32_t>({2, 12}, DType::i32, positions);
  return batch;
}

// Mean cross-entropy of the inference logits [B, T, V] over the scored labels, in double.
inline double reference_loss(const Tensor& logits, const Tensor& labels) {
  const int64_t V = logits.size(2);
  const std::vector<float> z = logits.contiguous().to_f32_vector();
  const int32_t* label = labels.data<int32_t>();
  double total = 0;
  int64_t count = 0;
  for (int64_t n = 0; n < labels.numel(); ++n) {
    if (label[n] < 0) continue;
    double max = z[n * V];
    for (int64_t v = 0; v < V; ++v) max = std::max<double>(max, z[n * V + v]);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(z[n * V + v] - max);
    total += max + std::log(sum) - z[n * V + label[n]];
    ++count;
  }
  return total / static_cast<double>(count);
}

template <typename Model>
void expect_loss_is_the_forwards_cross_entropy(const std::string& fixture) {
  Model model = Model::load(hf_model_fixture(fixture));
  const model::TokenBatch batch = fixture_batch(fixture);
  const double want = reference_loss(model.forward(batch.input_ids), batch.labels);
  EXPECT_NEAR(model::make_training_step(model, everything).step->step(batch), want, 1e-5);
}

// For each weight tensor w with gradient g of the loss `loss_of(step)` (one training step's
// forward and backward): (L(w + eps u) - L(w - eps u)) / (2 eps) = <g, u> for a random direction
// u, within f32 rounding of the loss (~1e-6 over 2 eps) and the curvature along u (eps = 1e-2
// already errs by several % on an embedding).
template <typename Model, typename LossOf>
void expect_step_gradients_match_central_differences(const std::string& fixture, LossOf loss_of) {
  Model model = Model::load(hf_model_fixture(fixture));
  const model::TrainingSetup setup = model::make_training_step(model, everything);
  loss_of(*setup.step);
  const std::map<std::string, Tensor> gradient = gradients_by_name(setup);
  uint64_t seed = 100;
  const float eps = 1e-3f;
  for (const model::TrainedWeight& weight : setup.weights) {
    SCOPED_TRACE(weight.name);
    const Tensor& w = weight.value;
    const std::vector<float> u = uniform_tensor(w.shape(), seed++).to_f32_vector();
    const std::vector<float> g = gradient.at(weight.name).to_f32_vector();
    double predicted = 0;
    for (size_t j = 0; j < g.size(); ++j) predicted += static_cast<double>(g[j]) * u[j];
    const Tensor original = w.clone();
    const auto shifted_loss = [&](float sign) {
      float* data = w.mutable_data<float>();
      const float* base = original.data<float>();
      for (size_t j = 0; j < u.size(); ++j) data[j] = base[j] + sign * eps * u[j];
      return static_cast<double>(loss_of(*setup.step));
    };
    const double measured = (shifted_loss(1) - shifted_loss(-1)) / (2 * eps);
    w.copy_from(original);
    EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted));
  }
}

// The cross-entropy step's gradients on `batch`.
template <typename Model>
void expect_gradients_match_central_differences(const std::string& fixture,
                                                const model::TokenBatch& batch) {
  expect_step_gradients_match_central_differences<Model>(
      fixture, [&](model::TrainingStep& step) { return step.step(batch); });
}

// The distillation step's gradients on the fixture batch, toward a teacher unlike the model
// (random hidden states and head) at temperature 2.
template <typename Model>
void expect_distillation_gradients_match_central_differences(const std::string& fixture) {
  const model::TokenBatch batch = fixture_batch(fixture);
  const Model model = Model::load(hf_model_fixture(fixture));
  const int64_t C = model.config().hidden_size;
  const model::DistillationTeacher teacher{
      uniform_tensor({batch.input_ids.size(0), batch.input_ids.size(1), C}, 7),
      uniform_tensor({model.config().vocab_size, C}, 8), 2.0f};
  expect_step_gradients_match_central_differences<Model>(
      fixture, [&](model::TrainingStep& step) { return step.distill_step(batch, teacher, 1.0f); });
}

// Distilled toward itself (its own inference hidden states and head), a model's KL and every
// gradient vanish, up to the rounding between the training and the inference forward.
template <typename Model>
void expect_distillation_from_itself_is_zero(const std::string& fixture) {
  const model::TokenBatch batch = fixture_batch(fixture);
  Model model = Model::load(hf_model_fixture(fixture));
  const model::DistillationTeacher teacher{model.forward_hidden(batch.input_ids),
                                           model.output_head().clone(), 1.5f};
  const model::TrainingSetup setup = model::make_training_step(model, everything);
  EXPECT_NEAR(setup.step->distill_step(batch, teacher, 1.0f), 0.0, 1e-6);
  for (const model::TrainedWeight& weight : setup.weights) {
    SCOPED_TRACE(weight.name);
    for (const float g : weight.grad.to_f32_vector()) ASSERT_NEAR(g, 0.0f, 1e-5f);
  }
}

// Training only the weights `part_of` accepts gives them the gradients full training gives
// them (the skipped backward below them changes nothing above).
template <typename Model, typename Part>
void expect_partial_training_gives_the_same_gradients(const std::string& fixture, Part part_of) {
  const model::TokenBatch batch = fixture_batch(fixture);
  Model all_model = Model::load(hf_model_fixture(fixture));
  const model::TrainingSetup all = model::make_training_step(all_model, everything);
  all.step->step(batch);
  Model part_model = Model::load(hf_model_fixture(fixture));
  const model::TrainingSetup part = model::make_training_step(part_model, part_of);
  part.step->step(batch);
  std::map<std::string, Tensor> part_by_name = gradients_by_name(part);
  for (const auto& [name, grad] : gradients_by_name(all)) {
    SCOPED_TRACE(name);
    if (!part_of(name)) {
      EXPECT_FALSE(part_by_name.contains(name));
    } else {
      EXPECT_EQ(part_by_name.at(name).to_f32_vector(), grad.to_f32_vector());
    }
  }
}

}  // namespace retune
