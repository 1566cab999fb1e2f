// The fine-tuned model a `retune train` run wrote, loaded for scoring: its output folder (the
// summary's "output") is a PEFT adapter folder (adapter_config.json; applied unmerged to the
// base) or a Hugging Face model folder (config.json: the model itself).
#pragma once

#include <filesystem>
#include <memory>

#include "model/causal_lm.h"

namespace retune::compare {

// Throws retune::Error naming the folder when it holds neither, or the file and field of an
// adapter this build cannot apply.
std::unique_ptr<model::CausalLm> load_trained_model(const std::filesystem::path& base,
                                                    const std::filesystem::path& output);

}  // namespace retune::compare
