// `retune analyze intruders --base DIR (--tuned DIR | --adapter DIR) [--top-k 10] [--epsilon 0.5]
// [--json] [--mitigate λ --out DIR]`: the intruder dimensions of a fine-tuning
// (eval/intruder_dimensions.h, METHODS.md D1), per changed module and in total; with --mitigate
// (LoRA adapters only) PEFT's reduce_intruder_dimension, writing the mitigated adapter to --out
// (eval/intruder_mitigation.h).
//
// The table: one row per module (the intruder count, the top-k cosines c_i to two decimals, the
// intruders' singular values), then the total. With --json one object {"base", "tuned" or
// "adapter", "top_k", "epsilon", "modules": [{"module", "intruders", "intruder_indices",
// "cosines", "intruder_singular_values"}], "total_intruders"} and, with --mitigate,
// "mitigated": {"lambda", "out"}.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/analyze_inputs.h"
#include "cli/commands.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "eval/intruder_dimensions.h"
#include "eval/intruder_mitigation.h"
#include "report/html_page.h"
#include "report/text_table.h"

namespace retune::cli {

namespace {

struct IntrudersOptions {
  AnalyzeInputs inputs;
  eval::IntruderOptions detection;
  std::optional<double> mitigate;
  std::optional<std::string> out;
  bool json = false;
  std::optional<int> threads;
};

std::string joined(const std::vector<double>& values, const char* format) {
  std::string text;
  for (const double v : values) {
    text += (text.empty() ? "" : " ") + fmt::format(fmt::runtime(format), v);
  }
  return text;
}

size_t total_intruders(const std::vector<eval::ModuleIntruders>& modules) {
  size_t total = 0;
  for (const eval::ModuleIntruders& m : modules) total += m.intruders.size();
  return total;
}

nlohmann::json report_json(const IntrudersOptions& options,
                           const std::vector<eval::ModuleIntruders>& modules) {
  nlohmann::json out = inputs_json(options.inputs);
  out["top_k"] = options.detection.top_k;
  out["epsilon"] = options.detection.epsilon;
  out["modules"] = nlohmann::json::array();
  for (const eval::ModuleIntruders& m : modules) {
    out["modules"].push_back({{"module", m.module},
                              {"intruders", m.intruders.size()},
                              {"intruder_indices", m.intruders},
                              {"cosines", m.cosines},
                              {"intruder_singular_values", m.singular_values}});
  }
  out["total_intruders"] = total_intruders(modules);
  if (options.mitigate) out["mitigated"] = {{"lambda", *options.mitigate}, {"out", *options.out}};
  return out;
}

std::string report_table(const IntrudersOptions& options,
                         const std::vector<eval::ModuleIntruders>& modules) {
  report::HtmlTable table{{"module", "intruders", "top-k cosines", "intruder singular values"}, {}};
  for (const eval::ModuleIntruders& m : modules) {
    table.rows.push_back({m.module, std::to_string(m.intruders.size()), joined(m.cosines, "{:.2f}"),
                          joined(m.singular_values, "{:.4g}")});
  }
  table.rows.push_back({"total", std::to_string(total_intruders(modules)), "", ""});
  return fmt::format("intruders: cosine < {} among the top {} singular vectors of W0 + ΔW\n{}",
                     options.detection.epsilon, options.detection.top_k,
                     report::aligned_table(table));
}

int run_intruders(const IntrudersOptions& options) {
  use_threads(options.threads);
  eval::check_intruder_options(options.detection);
  RETUNE_CHECK(options.mitigate.has_value() == options.out.has_value(),
               "--mitigate LAMBDA and --out DIR go together");
  std::vector<eval::ModuleIntruders> modules;
  if (options.mitigate) {
    RETUNE_CHECK(options.inputs.adapter && !options.inputs.tuned,
                 "--mitigate takes --adapter DIR (a LoRA adapter), not --tuned");
    modules = eval::mitigate_intruders(options.inputs.base, *options.inputs.adapter, *options.out,
                                       options.detection, *options.mitigate);
  } else {
    modules = eval::find_intruders(load_module_weights(options.inputs), options.detection);
  }
  if (options.json) {
    fmt::print("{}\n", report_json(options, modules).dump());
    return 0;
  }
  fmt::print("{}", report_table(options, modules));
  if (options.mitigate) {
    fmt::print("{}: the adapter with its intruder components scaled by {}\n", *options.out,
               *options.mitigate);
  }
  return 0;
}

}  // namespace

Command add_analyze_intruders_command(CLI::App& analyze) {
  auto options = std::make_shared<IntrudersOptions>();
  CLI::App* command = analyze.add_subcommand(
      "intruders", "intruder dimensions: top singular vectors of W0 + ΔW far from all of W0's");
  add_analyze_inputs(command, options->inputs);
  command->add_option("--top-k", options->detection.top_k, "the top singular vectors examined")
      ->type_name("K")
      ->default_val(10);
  command
      ->add_option("--epsilon", options->detection.epsilon,
                   "an intruder's largest |cosine| with W0's singular vectors is below it")
      ->type_name("E")
      ->default_val(0.5);
  command
      ->add_option("--mitigate", options->mitigate,
                   "keep this fraction of each intruder component (PEFT's mitigation, LoRA only)")
      ->type_name("LAMBDA");
  command->add_option("--out", options->out, "with --mitigate: the adapter folder to write")
      ->type_name("DIR");
  command->add_flag("--json", options->json, "print one JSON object");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_intruders(*options); }};
}

}  // namespace retune::cli
