// Ia3Config: PEFT 0.21's IA3Config (huggingface/peft src/peft/tuners/ia3/config.py), read from
// and written as its adapter_config.json.
//
// Every IA3Config field is supported: target_modules and exclude_modules select modules as for
// any tuner (adapters/module_selection.h); feedforward_modules marks the targets whose input is
// scaled instead of their output (adapters/ia3_targets.h); modules_to_save as for LoRA
// (adapters/modules_to_save.h). fan_in_fan_out is carried to the file (retune knows each
// module's layout, as PEFT overrides it per module); init_ia3_weights only says how PEFT
// started the vectors, which a loaded adapter's tensors replace.
//
// Stricter than PEFT, which ignores (with a warning) fields its IA3Config lacks: such a field
// must be null, false or empty, since retune cannot know what it would change. task_type must
// be "CAUSAL_LM" or null; feedforward_modules must be a subset of target_modules when both are
// lists (PEFT's IA3Config.__post_init__ rule).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/module_selection.h"

namespace retune::adapters {

struct Ia3Config {
  ModuleSelector target_modules;   // none: PEFT's default for the architecture
  ModuleSelector exclude_modules;  // names or regex
  // A list: a target whose name ends with an entry (a plain string suffix, PEFT's
  // key.endswith); a regex string: one whose whole name matches; none: the architecture's
  // default.
  ModuleSelector feedforward_modules;
  bool fan_in_fan_out = false;
  bool init_ia3_weights = true;
  std::vector<std::string> modules_to_save;  // JSON null or a list
};

// Parses an adapter_config.json document; `source` (the file) starts every error message, which
// names the field and what was expected. peft_type must be "IA3". Regexes are compiled here.
Ia3Config parse_ia3_config(const nlohmann::ordered_json& document, const std::string& source);

// Reads and parses `file` (an adapter_config.json).
Ia3Config read_ia3_config(const std::filesystem::path& file);

// adapter_config.json as PEFT 0.21.2's save_pretrained writes an IA3Config: its 13 fields,
// inference_mode true, peft_version "0.21.2", keys sorted (dump(2) gives PEFT's layout).
nlohmann::json peft_ia3_config(const Ia3Config& config, const std::string& base_model_name_or_path);

}  // namespace retune::adapters
