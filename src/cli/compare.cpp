// `retune compare CONFIG.yaml [--out DIR] [--set key=value ...]`: trains every method the
// config's `compare` group lists with the same data, budget and seed on the same base, each as
// its own `retune train` process, scores them all on the same new-task and retain files, and
// prints the table (compare/comparison_run.h; the config: compare/compare_config.h). Writes
// OUT/compare.json and OUT/compare.md; `retune report OUT` draws it. Exits 1 when a method
// failed, after the others ran.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "compare/compare_config.h"
#include "compare/comparison_run.h"
#include "report/compare_report.h"
#include "report/text_table.h"

namespace retune::cli {

namespace {

struct CompareOptions {
  std::string config;
  std::string out;
  std::vector<std::string> set;
};

int run_compare_command(const CompareOptions& options) {
  const compare::CompareConfig config = compare::load_compare_config(options.config, options.set);
  const std::filesystem::path out =
      options.out.empty() ? config.base.output : std::filesystem::path(options.out);
  const compare::ComparisonOutcome outcome = compare::run_comparison(
      config, out, [](const std::string& line) { fmt::print(stderr, "retune: {}\n", line); });
  const std::string where = (out / "compare.json").string();
  fmt::print("\n{}\n", report::comparison_settings(outcome.results, where));
  fmt::print("\n{}", report::aligned_table(report::comparison_table(outcome.results, where, true)));
  for (const std::string& failure : report::comparison_failures(outcome.results, where)) {
    fmt::print("failed: {}\n", failure);
  }
  fmt::print("output: {}\n", where);
  if (outcome.failed_methods > 0) {
    fmt::print(stderr, "retune: error: {} of {} methods failed (their folders hold train.log)\n",
               outcome.failed_methods, config.methods.size());
    return 1;
  }
  return 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  CLI::App* command = app.add_subcommand(
      "compare", "train several methods on equal terms and tabulate what each learned and forgot");
  command
      ->add_option("CONFIG", options->config,
                   "a training config (the base every method shares) with a `compare` group: "
                   "methods ({name, set: {key: value}}), new_task, retain, repeats")
      ->required();
  command->add_option("--out", options->out,
                      "the comparison's folder (default: the config's output)");
  command
      ->add_option("--set", options->set,
                   "override a key of the shared base, e.g. --set training.steps=50 (repeatable; "
                   "a relative path is relative to the config's folder)")
      ->type_name("KEY=VALUE");
  command->footer(
      "Each method runs as `retune train` in its own process (its peak memory is that "
      "process's), in the config file's folder, with the base's settings, the command line's "
      "--set and then its own set; output OUT/<name>/ (OUT/<name>/seed-<s>/ with repeats). The "
      "base and every trained model are then scored on the new_task and retain files: exact "
      "match of greedy completions and mean token loss; forgetting is the base's retained "
      "accuracy minus the method's. Results: OUT/compare.json, OUT/compare.md.");
  return {command, [options] { return run_compare_command(*options); }};
}

}  // namespace retune::cli
