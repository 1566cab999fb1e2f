// The mean of several adapters trained on one base (any method adapters::load_adapter reads):
// W = W0 + (1/n) Σ_k ΔW_k for every tensor an adapter's merge changes (ΔW_k as PEFT's
// merge_and_unload gives it; an adapter that leaves a tensor alone adds 0), as `retune
// continual`'s adapter_per_task strategy with merge: mean evaluates the adapters trained so far.
// For (IA)³ adapters, whose merge is linear in the vectors (W diag(l), b * l), this is the merge
// of the mean vector (1/n) Σ_k l_k (PEFT's add_weighted_adapter with weights 1/n). Weights saved
// with an adapter (modules_to_save) are not averaged: the base's stay.
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
