// The weight matrices a fine-tuning changed, paired with the base's, for the analyses of
// `retune analyze` (eval/intruder_dimensions.h, eval/delta_spectrum.h).
//
// Each pair is in nn.Linear's orientation [out, in], in double: GPT-2's Conv1D weights (stored
// [in, out]) are transposed, so that left singular vectors live in the output space for every
// architecture. (PEFT's reduce_intruder_dimension takes Conv1D's weight as stored, [in, out];
// retune does not follow it there.)
//
// The tuned end is either
//   - a PEFT adapter folder of the base (adapters::load_adapter: LoRA, DoRA, IA3): every 2-D
//     weight the adapter merges into (TrainedAdapter::merged_weights, PEFT's merge_and_unload:
//     its target modules, also one whose update is still zero), W = the merged weight; or
//   - a fine-tuned model folder of the same architecture: every 2-D weight inside the decoder
//     layers (the linear projections; not embeddings, head or norms) that differs from the base's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "linalg/matrix.h"

namespace retune::eval {

struct ModuleWeights {
  std::string module;    // "model.layers.0.self_attn.q_proj"
  linalg::Matrix base;   // W0 [out, in]
  linalg::Matrix tuned;  // W  [out, in]
};

// In the model's order. Throws the loader's Errors (naming the folder, file, tensor or module).
std::vector<ModuleWeights> adapter_module_weights(const std::filesystem::path& base_folder,
                                                  const std::filesystem::path& adapter_folder);

// In the model's order. Throws an Error for a folder that is no model, naming the architectures
// when they differ, and naming the first weight the tuned model lacks or has in another shape.
std::vector<ModuleWeights> tuned_module_weights(const std::filesystem::path& base_folder,
                                                const std::filesystem::path& tuned_folder);

}  // namespace retune::eval
