// The Llama-family training step on the fixture models: its loss is the inference forward's
// cross-entropy, every weight's gradient agrees with central differences of the loss along a
// random direction, and training part of the model gives that part the same gradients.
#include "model/llama_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/random_tensor.h"
#include "io/safetensors_file.h"
#include "model/llama_named_weights.h"
#include "support/model_parity.h"

namespace retune::model {
namespace {

// Makes every weight of the model an owned f32 tensor (tied head: the embedding table itself)
// and returns zeroed gradients for the weights whose names `trains` accepts.
template <typename Trains>
LlamaWeights make_trainable(LlamaModel& model, Trains trains) {
  LlamaWeights& weights = model.mutable_weights();
  LlamaWeights grads = weights;  // the same structure; every tensor is replaced below
  const auto named = llama_named_weights(weights, model.config());
  const auto named_grads = llama_named_weights(grads, model.config());
  for (size_t i = 0; i < named.size(); ++i) {
    *named[i].second = named[i].second->to(DType::f32).clone();
    *named_grads[i].second =
        trains(named[i].first) ? Tensor::zeros(named[i].second->shape(), DType::f32) : Tensor();
  }
  grads.lm_head = model.config().tie_word_embeddings ? grads.embed_tokens : grads.lm_head;
  if (model.config().tie_word_embeddings) weights.lm_head = weights.embed_tokens;
  return grads;
}

// The fixture's input_ids [2, 12] with labels = the next token (the last one unscored) and
// a few positions left unscored.
TokenBatch fixture_batch(const std::string& name) {
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

// Mean cross-entropy of the inference logits [B, T, V] over the scored labels, in double.
double reference_loss(const Tensor& logits, const Tensor& labels) {
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

class LlamaTrainingFixture : public testing::TestWithParam<std::string> {};

TEST_P(LlamaTrainingFixture, LossIsTheForwardsCrossEntropy) {
  LlamaModel model = LlamaModel::load(hf_model_fixture(GetParam()));
  const TokenBatch batch = fixture_batch(GetParam());
  const double want = reference_loss(model.forward(batch.input_ids), batch.labels);
  LlamaTraining training(model, make_trainable(model, [](const std::string&) { return true; }));
  EXPECT_NEAR(training.step(batch), want, 1e-5);
}

// For each weight tensor w with gradient g: (L(w + eps u) - L(w - eps u)) / (2 eps) = <g, u>
// for a random direction u, within f32 rounding of the loss (~1e-6 over 2 eps) and the
// curvature along u (eps = 1e-2 already errs by several % on the embedding).
void expect_gradients_match_central_differences(const std::string& fixture,
                                                const TokenBatch& batch) {
  LlamaModel model = LlamaModel::load(hf_model_fixture(fixture));
  const LlamaWeights grads = make_trainable(model, [](const std::string&) { return true; });
  LlamaTraining training(model, grads);
  training.step(batch);
  LlamaWeights scratch_grads = grads;  // the finite differences' steps accumulate here
  for (auto& [name, tensor] : llama_named_weights(scratch_grads, model.config())) {
    *tensor = Tensor::zeros(tensor->shape(), DType::f32);
  }
  scratch_grads.lm_head =
      model.config().tie_word_embeddings ? scratch_grads.embed_tokens : scratch_grads.lm_head;
  LlamaTraining probe(model, scratch_grads);

  auto named = llama_named_weights(model.mutable_weights(), model.config());
  auto named_grads = llama_named_weights(const_cast<LlamaWeights&>(grads), model.config());
  const float eps = 1e-3f;
  for (size_t i = 0; i < named.size(); ++i) {
    SCOPED_TRACE(named[i].first);
    const Tensor& w = *named[i].second;
    const Tensor direction = uniform_tensor(w.shape(), 100 + i);
    const std::vector<float> g = named_grads[i].second->to_f32_vector();
    const std::vector<float> u = direction.to_f32_vector();
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
    EXPECT_NEAR(measured, predicted, 2e-3 + 2e-2 * std::abs(predicted))
        << "predicted " << predicted << " measured " << measured;
  }
}

TEST_P(LlamaTrainingFixture, GradientsMatchCentralDifferences) {
  expect_gradients_match_central_differences(GetParam(), fixture_batch(GetParam()));
}

// Packed rows: two documents each (5 and 7 tokens), positions restarting at each.
TEST_P(LlamaTrainingFixture, PackedGradientsMatchCentralDifferences) {
  TokenBatch batch = fixture_batch(GetParam());
  std::vector<int32_t> docs, positions;
  for (int64_t b = 0; b < 2; ++b) {
    for (int32_t t = 0; t < 12; ++t) {
      docs.push_back(t < 5 ? 0 : 1);
      positions.push_back(t < 5 ? t : t - 5);
    }
  }
  batch.doc_ids = Tensor::from_vector<int32_t>({2, 12}, DType::i32, docs);
  batch.positions = Tensor::from_vector<int32_t>({2, 12}, DType::i32, positions);
  expect_gradients_match_central_differences(GetParam(), batch);
}

// Training only the last layer's MLP and the final norm gives them the gradients full
// training gives them (the skipped backward below changes nothing above).
TEST_P(LlamaTrainingFixture, PartialTrainingGivesTheSameGradients) {
  LlamaModel model = LlamaModel::load(hf_model_fixture(GetParam()));
  const TokenBatch batch = fixture_batch(GetParam());
  const LlamaWeights all = make_trainable(model, [](const std::string&) { return true; });
  LlamaTraining(model, all).step(batch);
  const auto part_of = [](const std::string& name) {
    return name.starts_with("model.layers.1.mlp.") || name == "model.norm.weight";
  };
  const LlamaWeights part = make_trainable(model, part_of);
  LlamaTraining(model, part).step(batch);
  // By name: the lists skip undefined biases, so their indices differ.
  std::map<std::string, Tensor> part_by_name;
  for (const auto& [name, grad] :
       llama_named_weights(const_cast<LlamaWeights&>(part), model.config())) {
    part_by_name[name] = *grad;
  }
  for (const auto& [name, grad] :
       llama_named_weights(const_cast<LlamaWeights&>(all), model.config())) {
    SCOPED_TRACE(name);
    if (!part_of(name)) {
      EXPECT_FALSE(part_by_name[name].defined());
      continue;
    }
    EXPECT_EQ(part_by_name[name].to_f32_vector(), grad->to_f32_vector());
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaTrainingFixture,
                         testing::Values("llama_gqa_untied", "llama_tied", "qwen2", "qwen3"));

}  // namespace
}  // namespace retune::model
