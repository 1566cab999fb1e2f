#include "adapters/lora_targets.h"

#include <algorithm>
#include <utility>

#include "adapters/module_selection.h"
#include "core/error.h"
#include "core/regex.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;

// PEFT's layers_to_transform test for a module selected by a suffix.
bool in_layers(const LoraConfig& config, const model::LinearSite& site) {
  const std::vector<int64_t>& layers = config.layers_to_transform;
  if (layers.empty()) return true;
  if (std::find(layers.begin(), layers.end(), site.layer) == layers.end()) return false;
  if (config.layers_pattern.empty()) return true;
  return std::any_of(config.layers_pattern.begin(), config.layers_pattern.end(),
                     [&](const std::string& pattern) {
                       return Regex(fmt::format(".*\\.(?:{})\\.{}\\..*", pattern, site.layer),
                                    false, "LoRA layers_pattern")
                           .full_match(site.name);
                     });
}

// The value of the first key of `pattern` that matches `name` (PEFT's get_pattern_key), or
// `fallback`.
template <typename Value>
Value pattern_value(const std::vector<std::pair<std::string, Value>>& pattern,
                    const std::string& name, Value fallback, const char* field) {
  for (const auto& [key, value] : pattern) {
    if (Regex(pattern_key_regex(key), false, field).full_match(name)) return value;
  }
  return fallback;
}

}  // namespace

std::string pattern_key_regex(const std::string& key) {
  return "(.*\\.)?(" + key + ")";
}

RankAlpha module_rank_alpha(const LoraConfig& config, const std::string& name) {
  return {pattern_value(config.rank_pattern, name, config.r, "LoRA rank_pattern"),
          pattern_value(config.alpha_pattern, name, config.lora_alpha, "LoRA alpha_pattern")};
}

std::vector<LoraTarget> resolve_lora_targets(const LoraConfig& config,
                                             const std::vector<model::LinearSite>& sites) {
  if (config.target_modules.form == Form::none) {
    fail("LoRA target_modules is not set: name the modules to adapt; {}", module_list(sites));
  }
  if (config.target_modules.form == Form::names) {
    check_names_exist(config.target_modules, sites, "LoRA target_modules");
  }
  ModuleMatcher target(config.target_modules, "LoRA target_modules");
  ModuleMatcher exclude(config.exclude_modules, "LoRA exclude_modules");
  std::vector<LoraTarget> targets;
  for (const model::LinearSite& site : sites) {
    if (exclude.selects(site.name) || !target.selects(site.name)) continue;
    if (target.form() == Form::names && !target.names_exactly(site.name) &&
        !in_layers(config, site)) {
      continue;
    }
    const RankAlpha rank_alpha = module_rank_alpha(config, site.name);
    targets.push_back({site, rank_alpha.r, rank_alpha.alpha});
  }
  if (targets.empty()) {
    fail(
        "LoRA target_modules selects no module (after layers_to_transform and exclude_modules); "
        "{}",
        module_list(sites));
  }
  return targets;
}

}  // namespace retune::adapters
