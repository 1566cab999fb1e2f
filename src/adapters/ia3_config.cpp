#include "adapters/ia3_config.h"

#include <algorithm>
#include <string_view>

#include "adapters/peft_config_fields.h"
#include "core/error.h"

namespace retune::adapters {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The fields of PEFT's IA3Config and its PeftConfig base.
constexpr std::string_view kKnownFields[] = {"auto_mapping",
                                             "base_model_name_or_path",
                                             "exclude_modules",
                                             "fan_in_fan_out",
                                             "feedforward_modules",
                                             "inference_mode",
                                             "init_ia3_weights",
                                             "modules_to_save",
                                             "peft_type",
                                             "peft_version",
                                             "revision",
                                             "target_modules",
                                             "task_type"};

}  // namespace

Ia3Config parse_ia3_config(const ordered_json& document, const std::string& source) {
  const PeftConfigFields fields(document, source);
  fields.check_types("IA3");
  for (const auto& [key, value] : document.items()) {
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) ==
        std::end(kKnownFields)) {
      fields.check_unset(key.c_str());
    }
  }
  Ia3Config config;
  config.target_modules = fields.modules("target_modules", true);
  config.exclude_modules = fields.modules("exclude_modules", false);
  config.feedforward_modules = fields.modules("feedforward_modules", false);
  config.fan_in_fan_out = fields.boolean("fan_in_fan_out", config.fan_in_fan_out);
  config.init_ia3_weights = fields.boolean("init_ia3_weights", config.init_ia3_weights);
  config.modules_to_save = fields.module_names("modules_to_save");
  using Form = ModuleSelector::Form;
  if (config.target_modules.form == Form::names && config.feedforward_modules.form == Form::names) {
    const std::vector<std::string>& targets = config.target_modules.names;
    for (const std::string& name : config.feedforward_modules.names) {
      if (std::find(targets.begin(), targets.end(), name) == targets.end()) {
        fail(
            "{}: feedforward_modules must be a subset of target_modules (PEFT's IA3Config "
            "refuses it otherwise), but \"{}\" is not in target_modules",
            source, name);
      }
    }
  }
  return config;
}

Ia3Config read_ia3_config(const std::filesystem::path& file) {
  return parse_ia3_config(read_config_document(file), file.string());
}

json peft_ia3_config(const Ia3Config& config, const std::string& base_model_name_or_path) {
  return {
      {"auto_mapping", nullptr},
      {"base_model_name_or_path", base_model_name_or_path},
      {"exclude_modules", selector_json(config.exclude_modules)},
      {"fan_in_fan_out", config.fan_in_fan_out},
      {"feedforward_modules", selector_json(config.feedforward_modules)},
      {"inference_mode", true},
      {"init_ia3_weights", config.init_ia3_weights},
      {"modules_to_save",
       config.modules_to_save.empty() ? json(nullptr) : json(config.modules_to_save)},
      {"peft_type", "IA3"},
      {"peft_version", "0.21.2"},
      {"revision", nullptr},
      {"target_modules", selector_json(config.target_modules)},
      {"task_type", "CAUSAL_LM"},
  };
}

}  // namespace retune::adapters
