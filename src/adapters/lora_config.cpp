#include "adapters/lora_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>

#include "adapters/lora_targets.h"
#include "adapters/peft_config_fields.h"
#include "core/error.h"

namespace retune::adapters {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// PEFT fields that change what a LoRA computes or trains in ways retune does not implement:
// each must be null, false or empty.
constexpr const char* kUnsupportedFields[] = {"alora_invocation_tokens",
                                              "arrow_config",
                                              "kasa_config",
                                              "layer_replication",
                                              "lora_bias",
                                              "monteclora_config",
                                              "target_parameters",
                                              "trainable_token_indices",
                                              "use_bdlora",
                                              "use_qalora",
                                              "velora_config"};

// {name: number} in the file's order; `positive` asks for positive integers (rank_pattern,
// alpha_pattern).
template <typename Value>
std::vector<std::pair<std::string, Value>> pattern(const PeftConfigFields& fields, const char* key,
                                                   bool positive) {
  std::vector<std::pair<std::string, Value>> entries;
  const ordered_json* value = fields.find(key);
  if (value == nullptr) return entries;
  const char* expected = positive ? "an object of positive integers" : "an object of numbers";
  if (!value->is_object()) fields.bad(key, expected, *value);
  for (const auto& [name, entry] : value->items()) {
    const bool ok = positive ? entry.is_number_integer() && entry.template get<int64_t>() > 0
                             : entry.is_number();
    if (!ok) fields.bad(key, expected, *value);
    fields.compile(key, pattern_key_regex(name));
    entries.emplace_back(name, entry.template get<Value>());
  }
  return entries;
}

// init_lora_weights: PEFT's random initialisations and the computed starts.
void parse_init(const PeftConfigFields& fields, LoraConfig& config) {
  const char* key = "init_lora_weights";
  const ordered_json* value = fields.find(key);
  if (value == nullptr || (value->is_boolean() && value->get<bool>())) return;
  const char* expected =
      "true, \"gaussian\", \"pissa\", \"pissa_niter_<k>\", \"olora\", \"eva\", \"corda\" "
      "or \"lora_ga\" (the initialisations retune supports)";
  if (!value->is_string()) fields.bad(key, expected, *value);
  const std::string name = lowercase(value->get<std::string>());
  static const std::map<std::string, LoraStartMethod> kStarts = {
      {"pissa", LoraStartMethod::pissa},
      {"olora", LoraStartMethod::olora},
      {"eva", LoraStartMethod::eva},
      {"corda", LoraStartMethod::corda},
      {"lora_ga", LoraStartMethod::lora_ga}};
  constexpr std::string_view kNiter = "pissa_niter_";
  if (name == "gaussian") {
    config.init_lora_weights = LoraInit::gaussian;
  } else if (const auto found = kStarts.find(name); found != kStarts.end()) {
    config.start = found->second;
  } else if (name.starts_with(kNiter)) {
    const std::string digits = name.substr(kNiter.size());
    int64_t niter = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), niter);
    if (error != std::errc() || end != digits.data() + digits.size() || niter < 1) {
      fields.bad(key, expected, *value);
    }
    config.start = LoraStartMethod::pissa;
    config.pissa_niter = niter;
  } else {
    fields.bad(key, expected, *value);
  }
}

// init_lora_weights as PEFT writes it.
json init_json(const LoraConfig& config) {
  switch (config.start) {
    case LoraStartMethod::random:
      return config.init_lora_weights == LoraInit::gaussian ? json("gaussian") : json(true);
    case LoraStartMethod::pissa:
      return config.pissa_niter > 0 ? fmt::format("pissa_niter_{}", config.pissa_niter)
                                    : std::string("pissa");
    case LoraStartMethod::olora:
      return "olora";
    case LoraStartMethod::eva:
      return "eva";
    case LoraStartMethod::corda:
      return "corda";
    case LoraStartMethod::lora_ga:
      return "lora_ga";
  }
  return true;
}

std::vector<int64_t> parse_layers(const PeftConfigFields& fields) {
  const char* key = "layers_to_transform";
  const ordered_json* value = fields.find(key);
  if (value == nullptr) return {};
  const auto is_index = [](const ordered_json& v) {
    return v.is_number_integer() && v.get<int64_t>() >= 0;
  };
  if (is_index(*value)) return {value->get<int64_t>()};
  if (!value->is_array() || !std::all_of(value->begin(), value->end(), is_index)) {
    fields.bad(key, "a layer index or a list of layer indices", *value);
  }
  return value->get<std::vector<int64_t>>();
}

// Checks the fields retune accepts only with PEFT's default.
void check_defaults(const PeftConfigFields& fields) {
  fields.check_types("LORA");
  const auto check = [&](const char* key, const auto& accepted, std::string_view expected) {
    const ordered_json* value = fields.find(key);
    if (value != nullptr && !accepted(*value)) fields.bad(key, expected, *value);
  };
  check(
      "bias", [](const ordered_json& v) { return v == "none"; },
      "\"none\" (retune does not train biases)");
  for (const char* key : kUnsupportedFields) fields.check_unset(key);
}

// An integral value as an int, as Python writes lora_alpha = 8.
json number_json(double value) {
  if (value == std::floor(value) && std::abs(value) < 0x1p53) return static_cast<int64_t>(value);
  return value;
}

}  // namespace

LoraConfig parse_lora_config(const ordered_json& document, const std::string& source) {
  const PeftConfigFields fields(document, source);
  check_defaults(fields);
  LoraConfig config;
  config.r = fields.positive_int("r", config.r);
  config.lora_alpha = fields.number("lora_alpha", config.lora_alpha);
  config.lora_dropout = fields.number("lora_dropout", config.lora_dropout);
  if (!(config.lora_dropout >= 0 && config.lora_dropout <= 1)) {
    fields.bad("lora_dropout", "in [0, 1]", *fields.find("lora_dropout"));
  }
  config.use_rslora = fields.boolean("use_rslora", config.use_rslora);
  config.use_dora = fields.boolean("use_dora", config.use_dora);
  parse_init(fields, config);
  config.fan_in_fan_out = fields.boolean("fan_in_fan_out", config.fan_in_fan_out);
  config.target_modules = fields.modules("target_modules", true);
  config.exclude_modules = fields.modules("exclude_modules", false);
  config.layers_to_transform = parse_layers(fields);
  config.layers_pattern = fields.strings("layers_pattern");
  config.rank_pattern = pattern<int64_t>(fields, "rank_pattern", true);
  config.alpha_pattern = pattern<double>(fields, "alpha_pattern", false);
  config.modules_to_save = fields.module_names("modules_to_save");
  // PEFT's LoraConfig.__post_init__ rules.
  if (config.target_modules.form == ModuleSelector::Form::regex ||
      config.target_modules.form == ModuleSelector::Form::all_linear) {
    if (!config.layers_to_transform.empty() || !config.layers_pattern.empty()) {
      fail(
          "{}: layers_to_transform and layers_pattern need target_modules to be a list of names, "
          "not the string {}",
          source, document.at("target_modules").dump());
    }
  }
  if (!config.layers_pattern.empty() && config.layers_to_transform.empty()) {
    fail("{}: layers_pattern needs layers_to_transform", source);
  }
  return config;
}

LoraConfig read_lora_config(const std::filesystem::path& file) {
  return parse_lora_config(read_config_document(file), file.string());
}

json peft_adapter_config(const LoraConfig& config, const std::string& base_model_name_or_path) {
  json rank_pattern = json::object(), alpha_pattern = json::object();
  for (const auto& [key, r] : config.rank_pattern) rank_pattern[key] = r;
  for (const auto& [key, alpha] : config.alpha_pattern) alpha_pattern[key] = number_json(alpha);
  json layers_pattern = nullptr;
  if (config.layers_pattern.size() == 1) layers_pattern = config.layers_pattern[0];
  if (config.layers_pattern.size() > 1) layers_pattern = config.layers_pattern;
  return {
      {"alora_invocation_tokens", nullptr},
      {"alpha_pattern", alpha_pattern},
      {"arrow_config", nullptr},
      {"auto_mapping", nullptr},
      {"base_model_name_or_path", base_model_name_or_path},
      {"bias", "none"},
      {"corda_config", nullptr},
      {"ensure_weight_tying", false},
      {"eva_config", nullptr},
      {"exclude_modules", selector_json(config.exclude_modules)},
      {"fan_in_fan_out", config.fan_in_fan_out},
      {"inference_mode", true},
      {"init_lora_weights", init_json(config)},
      {"kasa_config", nullptr},
      {"layer_replication", nullptr},
      {"layers_pattern", layers_pattern},
      {"layers_to_transform",
       config.layers_to_transform.empty() ? json(nullptr) : json(config.layers_to_transform)},
      {"loftq_config", json::object()},
      {"lora_alpha", number_json(config.lora_alpha)},
      {"lora_bias", false},
      {"lora_dropout", config.lora_dropout},
      {"lora_ga_config", nullptr},
      {"megatron_config", nullptr},
      {"megatron_core", "megatron.core"},
      {"modules_to_save",
       config.modules_to_save.empty() ? json(nullptr) : json(config.modules_to_save)},
      {"monteclora_config", nullptr},
      {"peft_type", "LORA"},
      {"peft_version", "0.21.2"},
      {"qalora_group_size", 16},
      {"r", config.r},
      {"rank_pattern", rank_pattern},
      {"revision", nullptr},
      {"target_modules", selector_json(config.target_modules)},
      {"target_parameters", nullptr},
      {"task_type", "CAUSAL_LM"},
      {"trainable_token_indices", nullptr},
      {"use_bdlora", nullptr},
      {"use_dora", config.use_dora},
      {"use_qalora", false},
      {"use_rslora", config.use_rslora},
      {"velora_config", nullptr},
  };
}

}  // namespace retune::adapters
