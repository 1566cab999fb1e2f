// `retune continual CONFIG.yaml [--set key=value ...]`: trains a sequence of tasks in order and
// prints the accuracy matrix and the continual-learning metrics (continual/continual_run.h;
// the config: continual/continual_config.h; the definitions: continual/cl_metrics.h and the
// command's help).
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/run_progress.h"
#include "continual/continual_config.h"
#include "continual/continual_run.h"

namespace retune::cli {

namespace {

struct ContinualOptions {
  std::string config;
  std::vector<std::string> set;
};

std::string shown(const std::optional<double>& value) {
  return value ? fmt::format("{:+.3f}", *value) : std::string("-");
}

int run_continual_command(const ContinualOptions& options) {
  const continual::ContinualConfig config =
      continual::load_continual_config(options.config, options.set);
  const continual::ContinualResult result =
      continual::run_continual(config, progress_events(config.train.log_every));
  // The matrix: a row per training stage, a column per task.
  size_t width = 8;
  for (const std::string& task : result.tasks) width = std::max(width, task.size() + 1);
  fmt::print("{:<16}", "accuracy");
  for (const std::string& task : result.tasks) fmt::print("{:>{}}", task, width);
  fmt::print("\n{:<16}", "start");
  for (const double a : result.start) fmt::print("{:>{}.3f}", a, width);
  fmt::print("\n");
  for (size_t i = 0; i < result.matrix.size(); ++i) {
    fmt::print("{:<16}", fmt::format("after {}", result.tasks[i]));
    for (const double a : result.matrix[i]) fmt::print("{:>{}.3f}", a, width);
    fmt::print("\n");
  }
  const continual::SequenceMetrics& m = result.metrics;
  fmt::print(
      "average accuracy {:.3f} | average forgetting {} | backward transfer {} | forward "
      "transfer {}\n",
      m.average_accuracy, shown(m.average_forgetting), shown(m.backward_transfer),
      shown(m.forward_transfer));
  fmt::print("min-ACC {} | WC-ACC {:.3f} (after the last task)\n", shown(result.min_acc.back()),
             result.wc_acc.back());
  fmt::print("output: {}\n", (config.train.output / "continual.json").string());
  return 0;
}

}  // namespace

Command add_continual_command(CLI::App& app) {
  auto options = std::make_shared<ContinualOptions>();
  CLI::App* command =
      app.add_subcommand("continual", "train a sequence of tasks and measure forgetting");
  command
      ->add_option("CONFIG", options->config,
                   "a training config with a `continual` group: tasks (name, train, test), "
                   "strategy (sequential | replay | kfpf | adapter_per_task), merge, buffer_size, "
                   "replay_fraction, eval_every")
      ->required();
  command
      ->add_option("--set", options->set,
                   "override a training config key, e.g. --set training.lr=1e-4 (repeatable)")
      ->type_name("KEY=VALUE");
  command->footer(
      "Each task trains in OUTPUT/task-<i>-<name>/ and every task's test set is scored by exact "
      "match of greedy completions. R[i][j] is the accuracy on task j after training tasks "
      "0..i; b[j] the starting model's. Average accuracy = mean_j R[T-1][j]. Average "
      "forgetting = mean over j < T-1 of (max_{k=j..T-2} R[k][j] - R[T-1][j]) (Mammoth). "
      "Backward transfer = mean over j < T-1 of (R[T-1][j] - R[j][j]) (GEM). Forward transfer "
      "= mean over j >= 1 of (R[j-1][j] - b[j]) (GEM, with the starting model in place of a "
      "random one). Stability gap (De Lange et al. 2023), from the evaluations every "
      "eval_every steps: min-ACC after task k = mean over j < k of the lowest accuracy on "
      "task j after it was learned; WC-ACC_k = R[k][k]/(k+1) + (1 - 1/(k+1)) min-ACC_k. "
      "Results: OUTPUT/continual.json.");
  return {command, [options] { return run_continual_command(*options); }};
}

}  // namespace retune::cli
