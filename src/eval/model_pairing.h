// The weights of a fine-tuned model folder paired by name with its base's, for the commands
// that compare the two (eval/weight_interpolation.h, eval/module_weights.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace retune::eval {

struct PairedWeight {
  std::string name;  // the Hugging Face name
  Tensor base;       // as the loaded base model holds it (a view that keeps its file mapped)
  Tensor tuned;      // the tuned model's, the same shape
};

// Loads both folders (model::load_causal_lm) and pairs every weight (model::named_weights), in the
// base's order. Throws an Error for a folder that is no model, naming the architectures when they
// differ, and naming the first weight the other model lacks or whose shape differs.
std::vector<PairedWeight> pair_model_weights(const std::filesystem::path& base_folder,
                                             const std::filesystem::path& tuned_folder);

}  // namespace retune::eval
