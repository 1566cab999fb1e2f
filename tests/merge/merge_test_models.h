// Helpers for the merge tests: model folders made from the fixture variants with a change, and
// merge configs written beside them.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/model_folder_writer.h"
#include "io/safetensors_model.h"
#include "merge/merge_config.h"
#include "merge/model_merge.h"
#include "merge_fixtures.h"
#include "support/files.h"

namespace retune::merge {

// Writes `variant`'s folder to `out` with each weight passed through `change` (which may
// replace it; returning an undefined tensor drops it) and `config_changes` merged into its
// config.json.
inline void write_changed_model(
    const std::string& variant, const std::filesystem::path& out,
    const std::function<Tensor(const std::string&, const Tensor&)>& change,
    const nlohmann::json& config_changes = nlohmann::json::object()) {
  const SafetensorsModel model = SafetensorsModel::open(merge_variant(variant));
  NamedTensors weights;
  for (const std::string& name : model.names()) {
    Tensor t = change(name, model.tensor(name));
    if (t.defined()) weights.emplace_back(name, t);
  }
  write_model_folder(merge_variant(variant), weights, out, config_changes);
}

// Writes `text` as `folder`/merge.yaml and reads it.
inline MergeConfig config_in(const std::filesystem::path& folder, const std::string& text) {
  std::filesystem::create_directories(folder);
  write_file(folder / "merge.yaml", text);
  return read_merge_config(folder / "merge.yaml");
}

// The merged model's tensors as f32 vectors, by name.
inline std::vector<float> tensor_values(const std::filesystem::path& folder,
                                        const std::string& name) {
  return SafetensorsModel::open(folder).tensor(name).to_f32_vector();
}

}  // namespace retune::merge
