// Checks shared by the architectures' training-step tests (tests/model/*_training_test.cpp),
// written once over a traits type:
//   struct Arch {
//     using Model, Weights, Training;                 // e.g. LlamaModel, LlamaWeights, ...
//     static auto named(Weights&, const ModelConfig&); // llama_named_weights, ...
//     static Tensor& embedding(Weights&);              // the table a tied head shares
//   };
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "io/safetensors_file.h"
#include "model/token_batch.h"
#include "support/model_parity.h"

namespace retune {

// Makes every weight of the model an owned f32 tensor (a tied head: the embedding table itself)
// and returns zeroed gradients for the weights whose names `trains` accepts.
template <typename Arch, typename Trains>
typename Arch::Weights make_trainable(typename Arch::Model& model, Trains trains) {
  typename Arch::Weights& weights = model.mutable_weights();
  typename Arch::Weights grads = weights;  // the same structure; every tensor is replaced below
  const auto named = Arch::named(weights, model.config());
  const auto named_grads = Arch::named(grads, model.config());
  for (size_t i = 0; i < named.size(); ++i) {
    *named[i].second = named[i].second->to(DType::f32).clone();
    *named_grads[i].second =
        trains(named[i].first) ? Tensor::zeros(named[i].second->shape(), DType::f32) : Tensor();
  }
  if (model.config().tie_word_embeddings) {
    weights.lm_head = Arch::embedding(weights);
    grads.lm_head = Arch::embedding(grads);
  }
  return grads;
}

// Every gradient by name.
template <typename Arch>
std::map<std::string, Tensor> gradients_by_name(const typename Arch::Weights& grads,
                                                const model::ModelConfig& config) {
  std::map<std::string, Tensor> by_name;
  auto copy = grads;
  for (const auto& [name, grad] : Arch::named(copy, config)) by_name[name] = *grad;
  return by_name;
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

template <typename Arch>
void expect_loss_is_the_forwards_cross_entropy(const std::string& fixture) {
  typename Arch::Model model = Arch::Model::load(hf_model_fixture(fixture));
  const model::TokenBatch batch = fixture_batch(fixture);
  const double want = reference_loss(model.forward(batch.input_ids), batch.labels);
  typename Arch::Training training(
      model, make_trainable<Arch>(model, [](const std::string&) { return true; }));
  EXPECT_NEAR(training.step(batch), want, 1e-5);
}

// For each weight tensor w with gradient g: (L(w + eps u) - L(w - eps u)) / (2 eps) = <g, u>
// for a random direction u, within f32 rounding of the loss (~1e-6 over 2 eps) and the
// curvature along u (eps = 1e-2 already errs by several % on an embedding).
template <typename Arch>
void expect_gradients_match_central_differences(const std::string& fixture,
                                                const model::TokenBatch& batch) {
  typename Arch::Model model = Arch::Model::load(hf_model_fixture(fixture));
  const auto all = [](const std::string&) { return true; };
  const typename Arch::Weights grads = make_trainable<Arch>(model, all);
  typename Arch::Training(model, grads).step(batch);
  // The probes' own gradients accumulate into a scratch copy.
  typename Arch::Weights scratch = grads;
  for (auto& [name, tensor] : Arch::named(scratch, model.config())) {
    *tensor = Tensor::zeros(tensor->shape(), DType::f32);
  }
  if (model.config().tie_word_embeddings) scratch.lm_head = Arch::embedding(scratch);
  typename Arch::Training probe(model, scratch);

  const std::map<std::string, Tensor> gradient = gradients_by_name<Arch>(grads, model.config());
  uint64_t seed = 100;
  const float eps = 1e-3f;
  for (const auto& [name, tensor] : Arch::named(model.mutable_weights(), model.config())) {
    SCOPED_TRACE(name);
    const Tensor& w = *tensor;
    const std::vector<float> u = uniform_tensor(w.shape(), seed++).to_f32_vector();
    const std::vector<float> g = gradient.at(name).to_f32_vector();
    double predicted = 0;
    for (size_t j = 0; j < g.size(); ++j) predicted += static_cast<double>(g[j]) * u[j];
    const Tensor original = w.clone();
    const auto shifted_loss = [&](float sign) {
      float* data = w.mutable_data<float>();
      const float* base = original.data<float>();
      for (size_t j = 0; j < u.size(); ++j) data[j] = base[j] + sign * eps * u[j];
      return static_cast<double>(probe.step(batch));
    };
    const double measured = (shifted_loss(1) - shifted_loss(-1)) / (2 * eps);
    w.copy_from(original);
    EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted));
  }
}

// Training only the weights `part_of` accepts gives them the gradients full training gives
// them (the skipped backward below them changes nothing above).
template <typename Arch, typename Part>
void expect_partial_training_gives_the_same_gradients(const std::string& fixture, Part part_of) {
  typename Arch::Model model = Arch::Model::load(hf_model_fixture(fixture));
  const model::TokenBatch batch = fixture_batch(fixture);
  const auto everything = [](const std::string&) { return true; };
  const typename Arch::Weights all = make_trainable<Arch>(model, everything);
  typename Arch::Training(model, all).step(batch);
  const typename Arch::Weights part = make_trainable<Arch>(model, part_of);
  typename Arch::Training(model, part).step(batch);
  std::map<std::string, Tensor> part_by_name = gradients_by_name<Arch>(part, model.config());
  for (const auto& [name, grad] : gradients_by_name<Arch>(all, model.config())) {
    SCOPED_TRACE(name);
    if (!part_of(name)) {
      EXPECT_FALSE(part_by_name[name].defined());
    } else {
      EXPECT_EQ(part_by_name[name].to_f32_vector(), grad.to_f32_vector());
    }
  }
}

}  // namespace retune
