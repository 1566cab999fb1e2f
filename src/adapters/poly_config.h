// PolyConfig: PEFT 0.21's PolyConfig (huggingface/peft src/peft/tuners/poly/config.py), read from
// and written as its adapter_config.json.
//
// Fields: r (8), n_tasks (1), n_skills (4), n_splits (1; > 1 is MHR), poly_type (only "poly"),
// target_modules / exclude_modules (adapters/module_selection.h; unset: PEFT's LoRA default for
// the architecture, q_proj and v_proj for Llama and Qwen, c_attn for GPT-2), modules_to_save
// (adapters/modules_to_save.h), init_weights (how PEFT started B: a loaded adapter's tensors
// replace it). Stricter than PEFT: a field its PolyConfig lacks must be null, false or empty;
// task_type must be "CAUSAL_LM" or null.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/module_selection.h"
#include "adapters/poly_linear.h"
#include "model/linear_site.h"
#include "model/model_config.h"

namespace retune::adapters {

struct PolyConfig {
  PolyShape shape;                 // r, n_tasks, n_skills, n_splits
  ModuleSelector target_modules;   // none: the architecture's default
  ModuleSelector exclude_modules;  // names or regex
  std::vector<std::string> modules_to_save;
  bool init_weights = true;
};

// Parses an adapter_config.json document; `source` (the file) starts every error message, which
// names the field and what was expected. peft_type must be "POLY", poly_type "poly".
PolyConfig parse_poly_config(const nlohmann::ordered_json& document, const std::string& source);

// Reads and parses `file` (an adapter_config.json).
PolyConfig read_poly_config(const std::filesystem::path& file);

// adapter_config.json as PEFT 0.21.2's save_pretrained writes a PolyConfig: its 16 fields,
// inference_mode true, peft_version "0.21.2", keys sorted.
nlohmann::json peft_poly_config(const PolyConfig& config,
                                const std::string& base_model_name_or_path);

// The sites `config` selects (an unset target_modules: the architecture's default), in the
// sites' order; errors name the field and list the model's modules.
std::vector<model::LinearSite> resolve_poly_targets(const PolyConfig& config,
                                                    model::Architecture architecture,
                                                    const std::vector<model::LinearSite>& sites);

}  // namespace retune::adapters
