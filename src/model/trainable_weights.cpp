#include "model/trainable_weights.h"

#include <map>
#include <memory>
#include <utility>

#include "core/error.h"
#include "model/gpt2_named_weights.h"
#include "model/gpt2_training.h"
#include "model/llama_named_weights.h"
#include "model/llama_training.h"

namespace retune::model {
namespace {

// The architecture's model type, weights and names.
template <typename Model>
struct Arch;

template <>
struct Arch<LlamaModel> {
  static std::unique_ptr<TrainingStep> training(const LlamaModel& model, LlamaWeights grads,
                                                Bf16Activations bf16_activations) {
    return std::make_unique<LlamaTraining>(model, std::move(grads), bf16_activations);
  }
  static auto named(LlamaWeights& weights, const ModelConfig& config) {
    return llama_named_weights(weights, config);
  }
  static Tensor& embedding(LlamaWeights& weights) { return weights.embed_tokens; }
};

template <>
struct Arch<Gpt2Model> {
  static std::unique_ptr<TrainingStep> training(const Gpt2Model& model, Gpt2Weights grads,
                                                Bf16Activations /*f32 throughout*/) {
    return std::make_unique<Gpt2Training>(model, std::move(grads));
  }
  static auto named(Gpt2Weights& weights, const ModelConfig& config) {
    return gpt2_named_weights(weights, config);
  }
  static Tensor& embedding(Gpt2Weights& weights) { return weights.wte; }
};

template <typename Model>
TrainingSetup setup(Model& model, const std::function<bool(const std::string&)>& trains,
                    Bf16Activations bf16_activations) {
  auto& weights = model.mutable_weights();
  auto grads = weights;  // the same structure; every tensor is replaced below
  const auto named = Arch<Model>::named(weights, model.config());
  const auto named_grads = Arch<Model>::named(grads, model.config());
  TrainingSetup result;
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& [name, weight] = named[i];
    Tensor& grad = *named_grads[i].second;
    if (!trains(name)) {
      grad = Tensor();
      continue;
    }
    *weight = weight->to(DType::f32).clone();  // owned: the optimizer writes it
    grad = Tensor::zeros(weight->shape(), DType::f32, weight->device());
    result.weights.push_back({name, *weight, grad});
  }
  if (model.config().tie_word_embeddings) {
    weights.lm_head = Arch<Model>::embedding(weights);
    grads.lm_head = Arch<Model>::embedding(grads);
  }
  result.step = Arch<Model>::training(model, grads, bf16_activations);
  return result;
}

template <typename Model>
void move(Model& model, Device device) {
  auto& weights = model.mutable_weights();
  for (const auto& [name, weight] : Arch<Model>::named(weights, model.config())) {
    if (weight->defined() && weight->device() != device) *weight = weight->to(device);
  }
  if (model.config().tie_word_embeddings) weights.lm_head = Arch<Model>::embedding(weights);
}

template <typename Model>
std::vector<std::pair<std::string, Tensor>> named(Model& model) {
  std::vector<std::pair<std::string, Tensor>> result;
  for (const auto& [name, weight] : Arch<Model>::named(model.mutable_weights(), model.config())) {
    result.emplace_back(name, *weight);
  }
  return result;
}

template <typename Model>
void set_named(Model& model, const std::string& name, Tensor value) {
  for (const auto& [weight_name, weight] :
       Arch<Model>::named(model.mutable_weights(), model.config())) {
    if (weight_name != name) continue;
    RETUNE_CHECK(value.shape() == weight->shape(), "weight {} of shape {}, expected {}", name,
                 value.shape().str(), weight->shape().str());
    *weight = std::move(value);
    return;
  }
  fail("the model has no weight {}", name);
}

}  // namespace

TrainingSetup make_training_step(CausalLm& model,
                                 const std::function<bool(const std::string&)>& trains,
                                 Bf16Activations bf16_activations) {
  if (auto* llama = dynamic_cast<LlamaModel*>(&model)) {
    return setup(*llama, trains, bf16_activations);
  }
  if (auto* gpt2 = dynamic_cast<Gpt2Model*>(&model)) return setup(*gpt2, trains, bf16_activations);
  fail("make_training_step: unsupported model class");
}

void move_weights(CausalLm& model, Device device) {
  if (auto* llama = dynamic_cast<LlamaModel*>(&model)) {
    move(*llama, device);
    llama->move_rope_inv_freq(device);
    return;
  }
  if (auto* gpt2 = dynamic_cast<Gpt2Model*>(&model)) return move(*gpt2, device);
  fail("move_weights: unsupported model class");
}

std::vector<std::pair<std::string, Tensor>> named_weights(CausalLm& model) {
  if (auto* llama = dynamic_cast<LlamaModel*>(&model)) return named(*llama);
  if (auto* gpt2 = dynamic_cast<Gpt2Model*>(&model)) return named(*gpt2);
  fail("named_weights: unsupported model class");
}

void set_weight(CausalLm& model, const std::string& name, Tensor value) {
  if (name == "lm_head.weight" && model.config().tie_word_embeddings) {
    model.set_output_head(std::move(value));
  } else if (auto* llama = dynamic_cast<LlamaModel*>(&model)) {
    set_named(*llama, name, std::move(value));
  } else if (auto* gpt2 = dynamic_cast<Gpt2Model*>(&model)) {
    set_named(*gpt2, name, std::move(value));
  } else {
    fail("set_weight: unsupported model class");
  }
}

void replace_weights(CausalLm& model, const std::vector<std::pair<std::string, Tensor>>& weights) {
  std::map<std::string, DType> held;
  std::string tied_embedding;
  for (const auto& [name, weight] : named_weights(model)) {
    held.emplace(name, weight.dtype());
    // The table the head shares (once re-tied by this function, the model counts as untied).
    if (tied_embedding.empty() && name != "lm_head.weight" &&
        weight.overlaps(model.output_head())) {
      tied_embedding = name;
    }
  }
  for (const auto& [name, weight] : weights) {
    const auto dtype = held.find(name);
    const Tensor value =
        dtype == held.end() || dtype->second == weight.dtype() ? weight : weight.to(dtype->second);
    set_weight(model, name, value);
    if (name == tied_embedding) set_weight(model, "lm_head.weight", value);
  }
}

}  // namespace retune::model
