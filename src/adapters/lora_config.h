// LoraConfig: the PEFT LoraConfig fields retune supports, with PEFT's defaults, read from and
// written as PEFT 0.21's adapter_config.json (huggingface/peft src/peft/tuners/lora/config.py
// LoraConfig, src/peft/config.py PeftConfig.save_pretrained).
//
// Which modules the fields select, and with which rank and alpha, is adapters/lora_targets.h.
// Fields retune does not support are refused when they are set to anything but PEFT's default
// (bias other than "none", lora_bias, init_lora_weights other than true / "gaussian", ...); every
// other field PEFT writes is ignored on reading and written back with PEFT's default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "adapters/lora_linear.h"
#include "adapters/module_selection.h"

namespace retune::adapters {

// Where a new adapter starts beyond PEFT's random initialisations (adapters/lora_start.h):
// init_lora_weights "pissa" / "pissa_niter_<k>", "olora", "eva", "corda", "lora_ga".
enum class LoraStartMethod { random, pissa, olora, eva, corda, lora_ga };

struct LoraConfig {
  int64_t r = 8;
  double lora_alpha = 8;
  double lora_dropout = 0;  // in [0, 1]
  bool use_rslora = false;  // scaling alpha / sqrt(r) instead of alpha / r
  bool use_dora = false;
  LoraInit init_lora_weights = LoraInit::kaiming_uniform;  // JSON true / "gaussian"
  LoraStartMethod start = LoraStartMethod::random;         // JSON "pissa", "olora", ...
  int64_t pissa_niter = 0;  // "pissa_niter_<k>": randomized SVD with k iterations; 0: exact
  // PEFT overrides it per module (true for GPT-2's Conv1D, false for nn.Linear) and writes back
  // what it ended with; retune knows each site's layout, so it is only carried to the file.
  bool fan_in_fan_out = false;
  ModuleSelector target_modules;
  ModuleSelector exclude_modules;            // names or regex
  std::vector<int64_t> layers_to_transform;  // JSON int or list; empty: every layer
  std::vector<std::string> layers_pattern;   // JSON string or list; empty: PEFT's default
  std::vector<std::pair<std::string, int64_t>> rank_pattern;  // in the file's order
  std::vector<std::pair<std::string, double>> alpha_pattern;  // in the file's order
  // Modules trained in full beside the adapter and saved with it (adapters/modules_to_save.h);
  // JSON null or a list.
  std::vector<std::string> modules_to_save;
};

// Parses an adapter_config.json document (ordered, so that the patterns keep the file's order,
// as Python's json.load does); `source` (the file) starts every error message, which names the
// field and what was expected. peft_type must be "LORA" and task_type "CAUSAL_LM" or null;
// unknown fields are ignored. Regexes (target_modules, exclude_modules, the patterns' keys) are
// compiled here, so an invalid one is an error naming its field.
LoraConfig parse_lora_config(const nlohmann::ordered_json& document, const std::string& source);

// Reads and parses `file` (an adapter_config.json).
LoraConfig read_lora_config(const std::filesystem::path& file);

// adapter_config.json as PEFT 0.21.2's save_pretrained writes it: all its 41 fields (unsupported
// ones with PEFT's defaults), inference_mode true, peft_version "0.21.2". Keys are sorted (the
// json type's order, as json.dumps(sort_keys=True)); dump(2) gives PEFT's layout.
nlohmann::json peft_adapter_config(const LoraConfig& config,
                                   const std::string& base_model_name_or_path);

}  // namespace retune::adapters
