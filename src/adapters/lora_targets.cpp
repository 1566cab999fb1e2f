#include "adapters/lora_targets.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/regex.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;

// `name` equals `entry` or ends with "." + entry.
bool names_or_ends_with(const std::string& name, const std::string& entry) {
  return name == entry || (name.size() > entry.size() && name.ends_with(entry) &&
                           name[name.size() - entry.size() - 1] == '.');
}

// The sites' short names (last path segments) in first-seen order, with a hint.
std::string module_list(const std::vector<model::LinearSite>& sites) {
  std::vector<std::string> short_names;
  for (const model::LinearSite& site : sites) {
    const std::string name = site.name.substr(site.name.rfind('.') + 1);
    if (std::find(short_names.begin(), short_names.end(), name) == short_names.end()) {
      short_names.push_back(name);
    }
  }
  return fmt::format(
      "the model's linear modules are {} (full names like \"{}\"; \"all-linear\" "
      "selects them all)",
      fmt::join(short_names, ", "), sites.empty() ? "" : sites.front().name);
}

// A ModuleSelector with its regex compiled (names and all-linear need none).
class Selector {
 public:
  Selector(const ModuleSelector& selector, const char* field) : selector_(selector) {
    if (selector.form == Form::regex) regex_.emplace(selector.regex, false, field);
  }
  Form form() const { return selector_.form; }
  // all-linear, the regex, or a list entry naming the module or ending its name.
  bool selects(const std::string& name) {
    switch (selector_.form) {
      case Form::none:
        return false;
      case Form::all_linear:
        return true;
      case Form::regex:
        return regex_->full_match(name);
      case Form::names:
        break;
    }
    return std::any_of(selector_.names.begin(), selector_.names.end(),
                       [&](const std::string& entry) { return names_or_ends_with(name, entry); });
  }
  // A list entry equal to the name (which layers_to_transform does not filter).
  bool names_exactly(const std::string& name) const {
    return selector_.form == Form::names &&
           std::find(selector_.names.begin(), selector_.names.end(), name) != selector_.names.end();
  }

 private:
  const ModuleSelector& selector_;
  std::optional<Regex> regex_;
};

// PEFT's layers_to_transform test for a module selected by a suffix.
bool in_layers(const LoraConfig& config, const model::LinearSite& site) {
  const std::vector<int64_t>& layers = config.layers_to_transform;
  if (layers.empty()) return true;
  if (std::find(layers.begin(), layers.end(), site.layer) == layers.end()) return false;
  if (config.layers_pattern.empty()) return true;
  return std::any_of(
      config.layers_pattern.begin(), config.layers_pattern.end(), [&](const std::string& pattern) {
        return Regex(fmt::format(".*\\.(?:{})\\.{}\\..*", pattern, site.layer), false,
                                "LoRA layers_pattern")
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

// Each entry of a target_modules list must name or end some module's name.
void check_names_exist(const ModuleSelector& target, const std::vector<model::LinearSite>& sites) {
  for (const std::string& entry : target.names) {
    const bool found = std::any_of(sites.begin(), sites.end(), [&](const model::LinearSite& site) {
      return names_or_ends_with(site.name, entry);
    });
    if (!found) {
      fail("LoRA target_modules: no module of the model is named \"{}\" or ends with \".{}\"; {}",
           entry, entry, module_list(sites));
    }
  }
}

}  // namespace

std::string pattern_key_regex(const std::string& key) {
  return "(.*\\.)?(" + key + ")";
}

std::vector<LoraTarget> resolve_lora_targets(const LoraConfig& config,
                                             const std::vector<model::LinearSite>& sites) {
  if (config.target_modules.form == Form::none) {
    fail("LoRA target_modules is not set: name the modules to adapt; {}", module_list(sites));
  }
  if (config.target_modules.form == Form::names) check_names_exist(config.target_modules, sites);
  Selector target(config.target_modules, "LoRA target_modules");
  Selector exclude(config.exclude_modules, "LoRA exclude_modules");
  std::vector<LoraTarget> targets;
  for (const model::LinearSite& site : sites) {
    if (exclude.selects(site.name) || !target.selects(site.name)) continue;
    if (target.form() == Form::names && !target.names_exactly(site.name) &&
        !in_layers(config, site)) {
      continue;
    }
    targets.push_back(
        {site, pattern_value(config.rank_pattern, site.name, config.r, "LoRA rank_pattern"),
         pattern_value(config.alpha_pattern, site.name, config.lora_alpha, "LoRA alpha_pattern")});
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
