// `retune train CONFIG.yaml [--set key=value ...] [--device cpu|cuda[:N]] [--resume]`: fine-tunes a
// model as the config says (train/train_config.h lists every key; examples/ has commented configs)
// and writes the adapter or model, checkpoints, metrics.jsonl and summary.json into its output
// folder (train/training_run.h). On a terminal a progress line shows step/total, loss, lr, tokens/s
// and the time left; otherwise each logged step is a plain line. A summary ends the run. SIGINT
// or SIGTERM stops it after the step in progress with a checkpoint (exit 1; --resume goes on).
//
// Data rules (data/packing.h): examples are packed into rows of data.seq_len tokens with document
// masks (no attention across examples) unless data.packing is false (one example per row,
// padded with the tokenizer's pad token, else eos); an example longer than data.seq_len is
// truncated to it (counted in the summary); the loss covers completions and assistant turns
// only unless data.train_on_all.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/run_progress.h"
#include "core/stop_request.h"
#include "train/train_config.h"
#include "train/training_run.h"

namespace retune::cli {

namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> set;
  std::string device;
  bool resume = false;
};

int run_train(const TrainOptions& options) {
  install_stop_handlers();
  std::vector<std::string> set = options.set;
  if (!options.device.empty()) set.push_back("training.device=" + options.device);
  const train::TrainConfig config = train::load_train_config(options.config, set);
  const train::TrainSummary summary =
      train::run_training(config, options.resume, progress_events(config.log_every));
  fmt::print(
      "trained {} of {} parameters ({:.2f}%) for {} steps in {} ({:.0f} tokens/s), peak "
      "memory {:.2f} GB\n",
      summary.trainable_parameters, summary.total_parameters,
      100.0 * static_cast<double>(summary.trainable_parameters) /
          static_cast<double>(summary.total_parameters),
      summary.steps, duration(summary.seconds), summary.tokens_per_second,
      static_cast<double>(summary.peak_rss_bytes) / 1e9);
  if (summary.peak_device_bytes > 0) {
    fmt::print("peak GPU memory {:.2f} GB\n", static_cast<double>(summary.peak_device_bytes) / 1e9);
  }
  if (summary.first_eval_loss && summary.last_eval_loss) {
    fmt::print("eval loss {:.4f} -> {:.4f}\n", *summary.first_eval_loss, *summary.last_eval_loss);
  }
  for (const train::RetainResult& r : summary.retain) {
    fmt::print("retain {}: loss {:.4f} -> {:.4f} (forgetting {:+.4f})\n", r.file.string(),
               r.base_loss, r.last_loss, r.forgetting());
  }
  if (summary.truncated_examples > 0) {
    fmt::print("{} training examples were truncated to data.seq_len\n", summary.truncated_examples);
  }
  if (summary.skipped_steps > 0) {
    fmt::print("{} steps were skipped: a non-finite loss or gradient norm\n",
               summary.skipped_steps);
  }
  fmt::print("output: {}\n", summary.output.string());
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* command = app.add_subcommand("train", "fine-tune a model as a YAML config says");
  command->add_option("CONFIG", options->config, "the training config (YAML; see examples/)")
      ->required();
  command
      ->add_option("--set", options->set,
                   "override a config key, e.g. --set training.lr=1e-4 (repeatable)")
      ->type_name("KEY=VALUE");
  command
      ->add_option("--device", options->device,
                   "where training runs: cpu or cuda[:N] (the same as --set training.device=...)")
      ->type_name("DEVICE");
  command->add_flag("--resume", options->resume,
                    "continue from the latest checkpoint in the output folder");
  command->footer(
      "Data: examples are packed into rows of data.seq_len tokens with document masks unless "
      "data.packing is false (then one per row, padded); longer examples are truncated (counted "
      "in the summary); the loss covers completions and assistant turns unless "
      "data.train_on_all.");
  return {command, [options] { return run_train(*options); }};
}

}  // namespace retune::cli
