// Which linear modules of a model a PEFT target_modules / exclude_modules value selects, by
// PEFT's rules (huggingface/peft tuners_utils.py check_target_module_exists, shared by every
// tuner: LoRA, IA3, ...):
//
//  - a string is a regex the whole module name must match (re.fullmatch; other.py
//    match_target_against_key), except "all-linear" (any case; target_modules only:
//    tuners_utils.py _maybe_include_all_linear_layers), every nn.Linear / Conv1D but the output
//    head, i.e. every site of model::CausalLm::linear_sites();
//  - a list entry selects the module it names, or whose name ends with "." + entry.
//
// A tuner adds its own rules on top (LoRA's layers_to_transform: adapters/lora_targets.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/regex.h"
#include "model/linear_site.h"

namespace retune::adapters {

// A target_modules or exclude_modules value in one of PEFT's forms.
struct ModuleSelector {
  enum class Form {
    none,        // null: nothing (target_modules: the tuner's per-architecture default)
    names,       // a list: each entry is a full module name or a dot-suffix of one ("q_proj")
    regex,       // a string: a regex the whole module name must match (re.fullmatch)
    all_linear,  // "all-linear" (any case; target_modules only): every linear but the head
  };
  Form form = Form::none;
  std::vector<std::string> names;  // Form::names
  std::string regex;               // Form::regex
};

// A ModuleSelector with its regex compiled; it refers to `selector`, which must outlive it.
class ModuleMatcher {
 public:
  // `field` names the value in a regex's error ("LoRA target_modules").
  ModuleMatcher(const ModuleSelector& selector, const char* field);

  ModuleSelector::Form form() const { return selector_.form; }
  // all-linear, the regex, or a list entry naming the module or ending its name (not const: the
  // regex keeps its match data).
  bool selects(const std::string& name);
  // A list entry equal to the name.
  bool names_exactly(const std::string& name) const;

 private:
  const ModuleSelector& selector_;
  std::optional<Regex> regex_;
};

// `name` equals `entry` or ends with "." + entry.
bool names_or_ends_with(const std::string& name, const std::string& entry);

// The sites' short names (last path segments) in first-seen order, with a hint: "the model's
// linear modules are q_proj, k_proj, ... (full names like "..."; "all-linear" selects them all)".
std::string module_list(const std::vector<model::LinearSite>& sites);

// Each entry of a names selector must name or end some site's name; `field` starts the error
// ("LoRA target_modules").
void check_names_exist(const ModuleSelector& selector, const std::vector<model::LinearSite>& sites,
                       std::string_view field);

}  // namespace retune::adapters
