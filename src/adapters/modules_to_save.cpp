#include "adapters/modules_to_save.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "model/trainable_weights.h"

namespace retune::adapters {
namespace {

constexpr const char* kHead = "lm_head";

// "model.layers.0.input_layernorm.weight" -> "model.layers.0.input_layernorm".
std::string module_of(const std::string& weight_name) {
  return weight_name.substr(0, weight_name.rfind('.'));
}

// (module, weight name) for every weight of the model, a tied head included.
std::vector<std::pair<std::string, std::string>> module_weights(model::CausalLm& model) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& [name, weight] : model::named_weights(model)) {
    result.emplace_back(module_of(name), name);
  }
  if (model.config().tie_word_embeddings) result.emplace_back(kHead, "lm_head.weight");
  return result;
}

}  // namespace

std::vector<std::string> modules_to_save_weights(model::CausalLm& model,
                                                 const std::vector<std::string>& entries,
                                                 const std::vector<std::string>& adapted_modules) {
  const auto modules = module_weights(model);
  for (const std::string& entry : entries) {
    const bool found = std::any_of(modules.begin(), modules.end(), [&](const auto& module) {
      return module.first.ends_with(entry);
    });
    if (found) continue;
    std::vector<std::string> names;
    for (const auto& [module, weight] : modules) {
      if (names.empty() || names.back() != module) names.push_back(module);
    }
    fail("modules_to_save: \"{}\" is the end of no module name of the model (its modules: {})",
         entry, fmt::join(names, ", "));
  }
  std::vector<std::string> weights;
  for (const auto& [module, weight] : modules) {
    const std::string& name = module;  // Clang 14 cannot capture a structured binding
    const bool selected =
        std::any_of(entries.begin(), entries.end(),
                    [&](const std::string& entry) { return name.ends_with(entry); });
    if (!selected) continue;
    RETUNE_CHECK(
        std::find(adapted_modules.begin(), adapted_modules.end(), module) == adapted_modules.end(),
        "modules_to_save: module \"{}\" is also an adapter target; a module either trains "
        "in full or carries an adapter",
        module);
    weights.push_back(weight);
  }
  return weights;
}

void untie_saved_head(model::CausalLm& model, const std::vector<std::string>& weights) {
  if (!model.config().tie_word_embeddings ||
      std::find(weights.begin(), weights.end(), "lm_head.weight") == weights.end()) {
    return;
  }
  model.set_output_head(model.output_head().to(DType::f32).clone());
}

std::string saved_weight_key(const std::string& weight_name) {
  return "base_model.model." + weight_name;
}

NamedTensors saved_weight_tensors(model::CausalLm& model, const std::vector<std::string>& weights) {
  NamedTensors tensors;
  for (const auto& [name, weight] : model::named_weights(model)) {
    if (std::find(weights.begin(), weights.end(), name) != weights.end()) {
      tensors.emplace_back(saved_weight_key(name), weight.to(DType::f32));
    }
  }
  return tensors;
}

std::map<std::string, Tensor> saved_weight_slots(model::CausalLm& model,
                                                 const std::vector<std::string>& weights) {
  const auto model_weights = model::named_weights(model);
  std::map<std::string, Tensor> by_name(model_weights.begin(), model_weights.end());
  by_name.try_emplace(std::string(kHead) + ".weight", model.output_head());  // a tied head
  std::map<std::string, Tensor> slots;
  for (const std::string& name : weights) {
    slots.emplace(saved_weight_key(name), Tensor::zeros(by_name.at(name).shape(), DType::f32));
  }
  return slots;
}

void set_saved_weights(model::CausalLm& model, const std::vector<std::string>& weights,
                       const std::map<std::string, Tensor>& slots) {
  for (const std::string& name : weights) {
    model::set_weight(model, name, slots.at(saved_weight_key(name)));
  }
}

}  // namespace retune::adapters
