// modules_to_save: base modules that train in full beside an adapter (LoRA, IA3, ...) and are
// saved in its folder, as PEFT 0.21's ModulesToSaveWrapper does (peft utils/other.py
// _set_trainable, utils/save_and_load.py get_peft_model_state_dict).
//
// An entry selects every module whose name ends with it, as a plain string suffix: "lm_head"
// the output head, "norm" every norm ("model.layers.0.input_layernorm", ..., "model.norm").
// The modules are those that own the model's weights (the weight name less its last segment)
// and "lm_head" of a tied model. A selected module trains and saves all its weights; a tied head
// trains its own copy of the embedding table (PEFT warns and does the same unless
// ensure_weight_tying is set). Keys in adapter_model.safetensors: "base_model.model." + the
// weight name ("base_model.model.lm_head.weight", "base_model.model.model.norm.weight").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "io/safetensors_writer.h"
#include "model/causal_lm.h"

namespace retune::adapters {

// The weight names of the modules `entries` select, in the model's order (a tied head's
// "lm_head.weight" last). Throws naming an entry that selects nothing (with the model's module
// names) and a selected module that is also one of `adapted_modules` (the adapter's targets).
std::vector<std::string> modules_to_save_weights(model::CausalLm& model,
                                                 const std::vector<std::string>& entries,
                                                 const std::vector<std::string>& adapted_modules);

// Gives a tied head its own f32 copy of the embedding table when `weights` holds
// "lm_head.weight" (before it trains or is loaded).
void untie_saved_head(model::CausalLm& model, const std::vector<std::string>& weights);

// The adapter_model.safetensors key of a saved weight: "base_model.model." + name.
std::string saved_weight_key(const std::string& weight_name);

// The saved weights as adapter_model.safetensors holds them: saved_weight_key(name) -> the
// model's value as f32, in the model's order.
NamedTensors saved_weight_tensors(model::CausalLm& model, const std::vector<std::string>& weights);

// For loading: a zeroed f32 tensor of each weight's shape (a tied head's: the embedding table's)
// by saved_weight_key, for adapters/adapter_folder.h's read_adapter_tensors to fill.
std::map<std::string, Tensor> saved_weight_slots(model::CausalLm& model,
                                                 const std::vector<std::string>& weights);

// Gives the model the filled slots' values.
void set_saved_weights(model::CausalLm& model, const std::vector<std::string>& weights,
                       const std::map<std::string, Tensor>& slots);

}  // namespace retune::adapters
