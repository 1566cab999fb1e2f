#include "eval/module_weights.h"

#include <map>
#include <memory>
#include <utility>

#include "adapters/trained_adapter.h"
#include "eval/model_pairing.h"
#include "merge/tensor_layout.h"
#include "model/causal_lm.h"
#include "model/model_config.h"
#include "model/trainable_weights.h"

namespace retune::eval {
namespace {

// A 2-D weight inside the decoder layers: a linear projection.
bool is_layer_matrix(const std::string& name, const Tensor& weight) {
  return weight.rank() == 2 && name.ends_with(".weight") &&
         merge::tensor_slot(name).part == merge::TensorSlot::Part::layer;
}

// [out, in] in double: GPT-2's layer matrices are Conv1D, stored [in, out].
linalg::Matrix linear_matrix(const Tensor& weight, bool conv1d, const std::string& name) {
  return linalg::read_matrix(conv1d ? weight.transpose(0, 1) : weight, "retune analyze",
                             name.c_str(), "[out, in]");
}

ModuleWeights pair(const std::string& name, const Tensor& base, const Tensor& tuned, bool conv1d) {
  return {name.substr(0, name.rfind('.')), linear_matrix(base, conv1d, name),
          linear_matrix(tuned, conv1d, name)};
}

std::map<std::string, Tensor> weights_by_name(model::CausalLm& model) {
  std::map<std::string, Tensor> weights;
  for (auto& [name, weight] : model::named_weights(model)) weights.emplace(name, weight);
  return weights;
}

}  // namespace

std::vector<ModuleWeights> adapter_module_weights(const std::filesystem::path& base_folder,
                                                  const std::filesystem::path& adapter_folder) {
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(base_folder);
  const bool conv1d = model->config().architecture == model::Architecture::gpt2;
  const std::map<std::string, Tensor> base = weights_by_name(*model);
  const std::unique_ptr<adapters::TrainedAdapter> adapter =
      adapters::load_adapter(*model, adapter_folder);
  std::vector<ModuleWeights> modules;
  for (const auto& [name, merged] : adapter->merged_weights()) {
    const auto found = base.find(name);
    if (found == base.end() || merged.rank() != 2 || !name.ends_with(".weight")) continue;
    modules.push_back(pair(name, found->second, merged, conv1d && is_layer_matrix(name, merged)));
  }
  return modules;
}

std::vector<ModuleWeights> tuned_module_weights(const std::filesystem::path& base_folder,
                                                const std::filesystem::path& tuned_folder) {
  const bool conv1d =
      model::load_model_config(base_folder).architecture == model::Architecture::gpt2;
  std::vector<ModuleWeights> modules;
  for (const PairedWeight& w : pair_model_weights(base_folder, tuned_folder)) {
    if (!is_layer_matrix(w.name, w.base) || w.tuned.to_f32_vector() == w.base.to_f32_vector()) {
      continue;
    }
    modules.push_back(pair(w.name, w.base, w.tuned, conv1d));
  }
  return modules;
}

}  // namespace retune::eval
