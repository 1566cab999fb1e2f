// merge_adapters: PEFT LoRA adapter folders of one base model merged into a new one as PEFT
// 0.21's LoraModel.add_weighted_adapter merges them (the combinations:
// merge/adapter_combination.h), without the base model: every ΔW comes from the adapters.
//
// Inputs: folders with adapter_config.json (peft_type "LORA") and adapter_model.safetensors
// holding only base_model.model.<module>.lora_A.weight / .lora_B.weight, any float dtype. An
// adapter's rank is max(r, rank_pattern's values); a module's scaling is alpha / r (alpha / √r
// with use_rslora) with r and alpha from rank_pattern / alpha_pattern where they match it.
//
// The result (PEFT's choices):
//   - one adapter merges linearly, whatever the combination asked for;
//   - new rank: linear, ties, dare_linear, dare_ties, magnitude_prune need adapters of one rank
//     and keep it; cat sums the ranks; svd and *_svd take svd_rank, by default the largest rank;
//   - adapter_config.json is the first adapter's config with r = lora_alpha = the new rank
//     (scaling 1), rank_pattern and alpha_pattern empty and target_modules the union of the
//     adapters' lists (first seen first) or, for regex strings, "(re1)|(re2)|..."; it is written
//     as peft_adapter_config (adapters/lora_config.h) writes configs, with the first adapter's
//     base_model_name_or_path. The first adapter's use_rslora is kept, as PEFT keeps it (the
//     result then scales by √r; a warning says so);
//   - every module of any adapter is merged from the adapters that have it; tensors are f32.
// The folder is written atomically (adapters/adapter_folder.h), modules merged in parallel.
//
// Errors (one line, naming the folder, file, field or tensor): no adapters, a weight count that
// differs from the adapter count, a density outside (0, 1], missing where the combination
// uses one or given where it does not, an svd rank or clamp given to a combination that does
// not factorise, an svd_clamp outside [0, 1], an svd_rank below 1, peft_type other than LORA,
// use_dora
// (the magnitude vector needs the base weights), modules_to_save (full copies of base modules),
// a tensor that is not a LoRA factor or lacks its partner, target_modules given as a list by one
// adapter and as a string by another, ranks that differ where they must not, a module whose
// shapes differ between adapters (different base models), an svd rank above a module's
// min(out, in). Base model names that differ are a warning.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "merge/adapter_combination.h"

namespace retune::merge {

struct AdapterMergeOptions {
  std::vector<double> weights;  // one per adapter; negative ones subtract
  CombinationOptions combination;
  std::optional<int64_t> svd_rank;  // svd, *_svd: the new rank, >= 1; unset: the largest input rank
  uint64_t seed = 0;                // dare_*: the drop masks
};

struct AdapterMerge {
  AdapterCombination combination = AdapterCombination::linear;  // the one applied
  int64_t rank = 0;
  size_t modules = 0;
  std::vector<std::string> warnings;  // one line each
};

AdapterMerge merge_adapters(const std::vector<std::filesystem::path>& adapters,
                            const std::filesystem::path& out, const AdapterMergeOptions& options);

}  // namespace retune::merge
