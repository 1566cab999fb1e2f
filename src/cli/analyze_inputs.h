// The inputs every `retune analyze` subcommand takes: --base DIR and one of --tuned DIR (a
// fine-tuned model folder) or --adapter DIR (a PEFT adapter folder of the base).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "eval/module_weights.h"

namespace retune::cli {

struct AnalyzeInputs {
  std::string base;
  std::optional<std::string> tuned;
  std::optional<std::string> adapter;
};

// Registers --base, --tuned and --adapter on `command`.
void add_analyze_inputs(CLI::App* command, AnalyzeInputs& inputs);

// The changed modules' weights (eval/module_weights.h). Throws an Error unless exactly one of
// --tuned and --adapter was given.
std::vector<eval::ModuleWeights> load_module_weights(const AnalyzeInputs& inputs);

// {"base": ..., "tuned" or "adapter": ...} for a JSON report.
nlohmann::json inputs_json(const AnalyzeInputs& inputs);

}  // namespace retune::cli
