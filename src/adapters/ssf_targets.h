// Which modules an SsfConfig adapts: linear layers (model/linear_site.h) and decoder-layer norms
// (model/norm_site.h), chosen by target_modules with PEFT's selector rules
// (adapters/module_selection.h):
//
//  - null: every linear of the decoder layers (not the output head) and every norm a model's
//    norm_sites() lists (not the final norm, whose output the head reads, which takes no
//    adapter in retune; not Qwen3's q_norm / k_norm, whose outputs attention reads);
//  - "all-linear": every linear, no norm;
//  - a list: each entry names a module or ends its name after a dot ("q_proj",
//    "input_layernorm"); an entry that selects nothing is an error;
//  - a regex string: the modules whose whole name it matches.
// An empty selection is an error.
#pragma once

#include <string>
#include <vector>

#include "adapters/ssf_config.h"
#include "model/linear_site.h"
#include "model/norm_site.h"

namespace retune::adapters {

// Every module SSF can adapt, in the order the model runs them: each norm just before its first
// reader, then the linears ("model.layers.0.input_layernorm", "model.layers.0.self_attn.q_proj",
// ...).
std::vector<std::string> ssf_module_order(const std::vector<model::LinearSite>& linears,
                                          const std::vector<model::NormSite>& norms);

// The names of the modules `config` selects, in ssf_module_order. Errors start with "SSF
// target_modules" and list the modules SSF can adapt.
std::vector<std::string> resolve_ssf_targets(const SsfConfig& config,
                                             const std::vector<model::LinearSite>& linears,
                                             const std::vector<model::NormSite>& norms);

}  // namespace retune::adapters
