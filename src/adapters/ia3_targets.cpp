#include "adapters/ia3_targets.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/regex.h"

namespace retune::adapters {
namespace {

using Form = ModuleSelector::Form;

// The feedforward_modules test for a target.
class FeedforwardMatcher {
 public:
  explicit FeedforwardMatcher(const ModuleSelector& selector) : selector_(selector) {
    if (selector.form == Form::regex)
      regex_.emplace(selector.regex, false, "IA3 feedforward_modules");
  }
  bool matches(const std::string& name) {
    if (regex_) return regex_->full_match(name);
    return std::any_of(selector_.names.begin(), selector_.names.end(),
                       [&](const std::string& entry) { return name.ends_with(entry); });
  }

 private:
  const ModuleSelector& selector_;
  std::optional<Regex> regex_;
};

}  // namespace

Ia3Config with_default_modules(Ia3Config config, model::Architecture architecture) {
  using model::Architecture;
  // PEFT's TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING / ..._FEEDFORWARD_... entries.
  std::vector<std::string> targets, feedforward;
  switch (architecture) {
    case Architecture::llama:
      targets = {"k_proj", "v_proj", "down_proj"};
      feedforward = {"down_proj"};
      break;
    case Architecture::qwen2:
    case Architecture::qwen3:
      targets = {"q_proj", "v_proj", "down_proj"};
      feedforward = {"down_proj"};
      break;
    case Architecture::gpt2:
      targets = {"c_attn", "mlp.c_proj"};
      feedforward = {"mlp.c_proj"};
      break;
  }
  if (config.target_modules.form == Form::none) {
    config.target_modules = {.form = Form::names, .names = std::move(targets)};
  }
  if (config.feedforward_modules.form == Form::none) {
    config.feedforward_modules = {.form = Form::names, .names = std::move(feedforward)};
  }
  return config;
}

std::vector<Ia3Target> resolve_ia3_targets(const Ia3Config& config,
                                           const std::vector<model::LinearSite>& sites) {
  if (config.target_modules.form == Form::none) {
    fail("IA3 target_modules is not set: name the modules to adapt; {}", module_list(sites));
  }
  if (config.target_modules.form == Form::names) {
    check_names_exist(config.target_modules, sites, "IA3 target_modules");
  }
  ModuleMatcher target(config.target_modules, "IA3 target_modules");
  ModuleMatcher exclude(config.exclude_modules, "IA3 exclude_modules");
  FeedforwardMatcher feedforward(config.feedforward_modules);
  std::vector<Ia3Target> targets;
  for (const model::LinearSite& site : sites) {
    if (exclude.selects(site.name) || !target.selects(site.name)) continue;
    targets.push_back({site, feedforward.matches(site.name)});
  }
  if (targets.empty()) {
    fail("IA3 target_modules selects no module (after exclude_modules); {}", module_list(sites));
  }
  return targets;
}

}  // namespace retune::adapters
