#include "eval/weight_interpolation.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <utility>

#include "adapters/trained_adapter.h"
#include "core/error.h"
#include "eval/model_pairing.h"
#include "io/model_folder_writer.h"
#include "model/model_config.h"
#include "model/trainable_weights.h"

namespace retune::eval {
namespace {

// (1 − alpha)·base + alpha·tuned, f32 [same shape] (new storage).
Tensor interpolate(const Tensor& base, const Tensor& tuned, double alpha) {
  std::vector<float> values = base.to_f32_vector();
  const std::vector<float> tuned_values = tuned.to_f32_vector();
  const auto keep = static_cast<float>(1 - alpha);
  const auto take = static_cast<float>(alpha);
  for (size_t i = 0; i < values.size(); ++i) values[i] = keep * values[i] + take * tuned_values[i];
  return Tensor::from_vector(base.shape(), DType::f32, std::span<const float>(values));
}

}  // namespace

WeightInterpolation WeightInterpolation::with_tuned_model(
    const std::filesystem::path& base_folder, const std::filesystem::path& tuned_folder) {
  std::vector<WeightPair> weights;
  for (PairedWeight& w : pair_model_weights(base_folder, tuned_folder)) {
    weights.push_back({std::move(w.name), std::move(w.base), std::move(w.tuned)});
  }
  return WeightInterpolation(base_folder, std::move(weights));
}

WeightInterpolation WeightInterpolation::with_adapter(const std::filesystem::path& base_folder,
                                                      const std::filesystem::path& adapter_folder) {
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base_folder);
  std::map<std::string, Tensor> base_weights;
  for (auto& [name, weight] : model::named_weights(*model)) base_weights.emplace(name, weight);
  const Tensor base_head = model->output_head();

  const std::unique_ptr<adapters::TrainedAdapter> adapter =
      adapters::load_adapter(*model, adapter_folder);
  std::map<std::string, Tensor> tuned_weights;
  for (auto& [name, weight] : adapter->merged_weights()) {
    RETUNE_CHECK(base_weights.contains(name),
                 "{}: merging gives weight {}, which the base {} lacks (an SSF shift merged into a "
                 "new bias); interpolation needs an adapter that merges into the base's weights",
                 adapter_folder.string(), name, base_folder.string());
    tuned_weights.emplace(name, weight);
  }
  // The saved weights are the model's own now, and a head saved so has its own name.
  const std::set<std::string> saved(adapter->saved_weights().begin(),
                                    adapter->saved_weights().end());
  std::vector<WeightPair> weights;
  for (auto& [name, weight] : model::named_weights(*model)) {
    const auto base = base_weights.find(name);
    WeightPair pair{name, base == base_weights.end() ? base_head : base->second, Tensor()};
    if (const auto merged = tuned_weights.find(name); merged != tuned_weights.end()) {
      pair.tuned = merged->second;
    } else if (saved.contains(name)) {
      pair.tuned = weight;
    }
    weights.push_back(std::move(pair));
  }
  return WeightInterpolation(base_folder, std::move(weights));
}

NamedTensors WeightInterpolation::weights_at(double alpha) const {
  RETUNE_CHECK(alpha >= 0 && alpha <= 1, "alpha must be in [0, 1], got {}", alpha);
  NamedTensors weights;
  for (const WeightPair& pair : weights_) {
    weights.emplace_back(
        pair.name, pair.tuned.defined() ? interpolate(pair.base, pair.tuned, alpha) : pair.base);
  }
  return in_base_dtypes(base_folder_, std::move(weights));
}

std::unique_ptr<model::CausalLm> WeightInterpolation::model_at(double alpha) const {
  const NamedTensors weights = weights_at(alpha);
  std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base_folder_);
  NamedTensors changed;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (weights_[i].tuned.defined()) changed.push_back(weights[i]);
  }
  model::replace_weights(*model, changed);
  return model;
}

void WeightInterpolation::write_model_folder(double alpha,
                                             const std::filesystem::path& out_folder) const {
  const bool untied_head =
      std::any_of(weights_.begin(), weights_.end(),
                  [](const WeightPair& w) { return w.name == "lm_head.weight"; }) &&
      model::load_model_config(base_folder_).tie_word_embeddings;
  retune::write_model_folder(
      base_folder_, weights_at(alpha), out_folder,
      untied_head ? nlohmann::json{{"tie_word_embeddings", false}} : nlohmann::json::object());
}

}  // namespace retune::eval
