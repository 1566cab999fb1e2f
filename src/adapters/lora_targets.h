// Which linear modules of a model a LoraConfig adapts, with which rank and alpha, by PEFT's
// rules (huggingface/peft at 5d602fd, 0.20.1.dev0; fixtures made with 0.21.2 agree):
//
//  - exclude_modules first (tuners_utils.py check_target_module_exists): a string is a regex
//    the whole name must match (re.fullmatch); a list entry excludes the module it names or
//    whose name ends with "." + entry.
//  - target_modules (same function): a string is a regex the whole name must match
//    (other.py match_target_against_key); a list entry equal to the name selects it; otherwise
//    an entry the name ends with ("." + entry) selects it, and only in this case does
//    layers_to_transform filter by the module's layer. PEFT reads the layer from the name: the
//    first numbered path segment, or with layers_pattern the number after ".<pattern>." (for
//    every retune architecture both are the site's layer; here a pattern must appear as
//    ".<pattern>.<layer>." in the name).
//  - "all-linear" (tuners_utils.py _maybe_include_all_linear_layers): every nn.Linear / Conv1D
//    but the output head, i.e. every site of model::CausalLm::linear_sites().
//  - rank_pattern / alpha_pattern (other.py get_pattern_key, used by lora/model.py
//    _create_and_replace): the first key k, in the pattern's order, such that
//    re.match(rf"(.*\.)?({k})$", name) matches gives the module's r / alpha; else r / lora_alpha.
//
// retune is stricter in one way: a target_modules list entry that names no module of the model
// at all is an error (PEFT ignores it when another entry matches), as are an unset
// target_modules (PEFT's per-architecture defaults are not supported) and an empty selection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/lora_config.h"
#include "model/linear_site.h"

namespace retune::adapters {

struct LoraTarget {
  model::LinearSite site;
  int64_t r = 0;
  double alpha = 0;
};

// The sites `config` selects, in the sites' order. Errors name the field and list the model's
// module names (the last path segments: q_proj, c_attn, ...) and "all-linear".
std::vector<LoraTarget> resolve_lora_targets(const LoraConfig& config,
                                             const std::vector<model::LinearSite>& sites);

// The module's rank and alpha by rank_pattern / alpha_pattern (the rule above), else r and
// lora_alpha; `name` is the full module name ("model.layers.0.self_attn.q_proj").
struct RankAlpha {
  int64_t r = 0;
  double alpha = 0;
};
RankAlpha module_rank_alpha(const LoraConfig& config, const std::string& name);

// PEFT's regex for a rank_pattern / alpha_pattern key, to match a whole module name:
// "(.*\.)?(key)" (module names hold no newline, so re.match with "$" is a full match).
std::string pattern_key_regex(const std::string& key);

}  // namespace retune::adapters
