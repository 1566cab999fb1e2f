// Which linear modules an Ia3Config adapts, and which of them are feed-forward (input-scaled),
// by PEFT 0.21's rules (huggingface/peft src/peft/tuners/ia3/model.py):
//
//  - an unset target_modules or feedforward_modules takes PEFT's default for the architecture
//    (IA3Model._prepare_adapter_config; peft/utils/constants.py
//    TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING and ..._FEEDFORWARD_MODULES_MAPPING):
//      llama          k_proj, v_proj, down_proj   feed-forward: down_proj
//      qwen2, qwen3   q_proj, v_proj, down_proj   feed-forward: down_proj
//      gpt2           c_attn, mlp.c_proj          feed-forward: mlp.c_proj
//  - target_modules and exclude_modules select as for every tuner (adapters/module_selection.h);
//  - a target is feed-forward when its name ends with an entry of a feedforward_modules list (a
//    plain string suffix: IA3Model._check_target_module_feedforward's key.endswith) or matches
//    a feedforward_modules regex whole (re.fullmatch).
//
// retune is stricter in the same ways as for LoRA (adapters/lora_targets.h): a target_modules
// list entry that names no module of the model, and an empty selection, are errors.
#pragma once

#include <vector>

#include "adapters/ia3_config.h"
#include "model/linear_site.h"
#include "model/model_config.h"

namespace retune::adapters {

struct Ia3Target {
  model::LinearSite site;
  bool feedforward = false;
};

// `config` with an unset target_modules / feedforward_modules given the architecture's default
// (as lists of names).
Ia3Config with_default_modules(Ia3Config config, model::Architecture architecture);

// The sites `config` selects, in the sites' order. Errors name the field and list the model's
// module names. An unset target_modules is an error (with_default_modules sets it).
std::vector<Ia3Target> resolve_ia3_targets(const Ia3Config& config,
                                           const std::vector<model::LinearSite>& sites);

}  // namespace retune::adapters
