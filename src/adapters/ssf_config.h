// SsfConfig: the settings of an SSF adapter (adapters/ssf_model.h), read from and written as its
// adapter_config.json. PEFT has no SSF tuner: the file is retune's own, in PEFT's layout
// (docs/formats.md "SSF adapter folder"):
//
//   {"base_model_name_or_path": "...", "init_std": 0.02, "peft_type": "SSF",
//    "target_modules": ["model.layers.0.input_layernorm", "model.layers.0.self_attn.q_proj", ...],
//    "task_type": "CAUSAL_LM", "unmergeable_shifts": false}
//
// target_modules selects linear layers (model/linear_site.h) and decoder-layer norms
// (model/norm_site.h) by PEFT's selector rules (adapters/module_selection.h: a list of names or
// dot-suffixes, or a regex string; "all-linear" selects the linears alone); null selects every
// one of both. Any other field (PEFT's bookkeeping fields aside) must be absent, null, false or
// empty; task_type must be "CAUSAL_LM" or null.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/module_selection.h"

namespace retune::adapters {

struct SsfConfig {
  ModuleSelector target_modules;  // none: every linear of the decoder layers and every norm
  double init_std = 0.02;  // σ of γ ~ N(1, σ²) and β ~ N(0, σ²); 0: exactly γ = 1, β = 0
  // false: a shift that no bias slot of the exported model can hold is not created (the scale
  // is); true: every shift is created, and merging (export) refuses such an adapter.
  bool unmergeable_shifts = false;
};

// Parses an adapter_config.json document; `source` (the file) starts every error message, which
// names the field and what was expected. peft_type must be "SSF"; init_std a number >= 0.
SsfConfig parse_ssf_config(const nlohmann::ordered_json& document, const std::string& source);

// Reads and parses `file` (an adapter_config.json).
SsfConfig read_ssf_config(const std::filesystem::path& file);

// adapter_config.json for `config`, keys sorted.
nlohmann::json ssf_config_json(const SsfConfig& config, const std::string& base_model_name_or_path);

}  // namespace retune::adapters
