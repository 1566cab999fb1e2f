#include "adapters/ssf_config.h"

#include <algorithm>
#include <string_view>

#include "adapters/peft_config_fields.h"
#include "core/error.h"

namespace retune::adapters {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kPeftType = "SSF";

// The fields of an SSF adapter_config.json, and PEFT's bookkeeping fields a tool may add.
constexpr std::string_view kKnownFields[] = {"auto_mapping",   "base_model_name_or_path",
                                             "inference_mode", "init_std",
                                             "peft_type",      "peft_version",
                                             "revision",       "target_modules",
                                             "task_type",      "unmergeable_shifts"};

}  // namespace

SsfConfig parse_ssf_config(const ordered_json& document, const std::string& source) {
  const PeftConfigFields fields(document, source);
  fields.check_types(kPeftType);
  for (const auto& [key, value] : document.items()) {
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) ==
        std::end(kKnownFields)) {
      fields.check_unset(key.c_str());
    }
  }
  SsfConfig config;
  config.target_modules = fields.modules("target_modules", true);
  config.init_std = fields.number("init_std", config.init_std);
  if (!(config.init_std >= 0)) {
    fields.bad("init_std", "a number >= 0", document["init_std"]);
  }
  config.unmergeable_shifts = fields.boolean("unmergeable_shifts", config.unmergeable_shifts);
  return config;
}

SsfConfig read_ssf_config(const std::filesystem::path& file) {
  return parse_ssf_config(read_config_document(file), file.string());
}

json ssf_config_json(const SsfConfig& config, const std::string& base_model_name_or_path) {
  return {
      {"base_model_name_or_path", base_model_name_or_path},
      {"init_std", config.init_std},
      {"peft_type", kPeftType},
      {"target_modules", selector_json(config.target_modules)},
      {"task_type", "CAUSAL_LM"},
      {"unmergeable_shifts", config.unmergeable_shifts},
  };
}

}  // namespace retune::adapters
