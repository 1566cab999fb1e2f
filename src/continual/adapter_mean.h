// The mean of several LoRA adapters trained on one base: W = W0 + (1/n) Σ_k ΔW_k for every
// adapted module (ΔW_k as PEFT's merge_and_unload adds it), as `retune continual`'s
// adapter_per_task strategy with merge: mean evaluates the adapters trained so far. Weights
// saved with an adapter (modules_to_save) are not averaged: the base's stay.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "model/causal_lm.h"

namespace retune::continual {

// A model loaded from `base` with the mean of `adapters` (PEFT folders, at least one) merged in.
std::unique_ptr<model::CausalLm> load_adapter_mean(
    const std::filesystem::path& base, const std::vector<std::filesystem::path>& adapters);

}  // namespace retune::continual
