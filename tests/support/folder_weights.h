// folder_weights(folder): every weight of a model folder by name, as f32 values, for tests that
// compare a trained or exported model with its base entry by entry.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model/causal_lm.h"
#include "model/trainable_weights.h"

namespace retune {

inline std::map<std::string, std::vector<float>> folder_weights(
    const std::filesystem::path& folder) {
  auto lm = model::load_causal_lm(folder);
  std::map<std::string, std::vector<float>> weights;
  for (const auto& [name, w] : model::named_weights(*lm)) weights[name] = w.to_f32_vector();
  return weights;
}

}  // namespace retune
