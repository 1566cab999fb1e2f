// The fine-tuned model a `retune train` run wrote, loaded for scoring as `retune eval` loads
// one: its output folder (the summary's "output") is a PEFT adapter folder (adapter_config.json:
// LoRA and its relatives, IA3, applied unmerged to the base), a sparse difference
// (sparse_config.json: LT-SFT and sparse masks, added to the base's weights) or a Hugging Face
// model folder (config.json: full, BitFit, norm, S2FT, ...: the model itself).
#pragma once

#include <filesystem>
#include <memory>

#include "model/causal_lm.h"

namespace retune::compare {

// Throws retune::Error naming the folder when it holds none of them, or the file and field of an
// adapter this build cannot apply.
std::unique_ptr<model::CausalLm> load_trained_model(const std::filesystem::path& base,
                                                    const std::filesystem::path& output);

}  // namespace retune::compare
