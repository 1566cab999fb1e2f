// `retune train CONFIG.yaml [--set key=value ...] [--resume]`: fine-tunes a model as the config
// says (train/train_config.h lists every key; examples/ has commented configs) and writes the
// adapter or model, checkpoints, metrics.jsonl and summary.json into its output folder
// (train/training_run.h). On a terminal a progress line shows step/total, loss, lr, tokens/s and
// the time left; otherwise each logged step is a plain line. A summary ends the run.
//
// Data rules (data/packing.h): examples are packed into rows of data.seq_len tokens with document
// masks (no attention across examples) unless data.packing is false (one example per row,
// padded with the tokenizer's pad token, else eos); an example longer than data.seq_len is
// truncated to it (counted in the summary); the loss covers completions and assistant turns
// only unless data.train_on_all.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "train/train_config.h"
#include "train/training_run.h"

namespace retune::cli {

namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> set;
  bool resume = false;
};

// "1:02:03" or "2:03".
std::string duration(double seconds) {
  const auto total = static_cast<int64_t>(seconds + 0.5);
  return total >= 3600 ? fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
                       : fmt::format("{}:{:02}", total / 60, total % 60);
}

int run_train(const TrainOptions& options) {
  const train::TrainConfig config = train::load_train_config(options.config, options.set);
  const bool terminal = ::isatty(::fileno(stderr)) != 0;
  double elapsed = 0;
  int64_t done = 0;
  train::RunEvents events;
  events.note = [&](const std::string& line) {
    fmt::print(stderr, "{}retune: {}\n", terminal ? "\r\033[K" : "", line);
  };
  events.step = [&](const train::StepReport& report, int64_t total) {
    elapsed += report.seconds;
    ++done;
    const double tokens_per_second = static_cast<double>(report.tokens) / report.seconds;
    const double left =
        elapsed / static_cast<double>(done) * static_cast<double>(total - report.step);
    const std::string line = fmt::format(
        "step {}/{} | loss {:.4f} | lr {:.3g} | grad norm {:.3g} | {:.0f} tokens/s | "
        "{} left{}",
        report.step, total, report.loss, report.lr, report.grad_norm, tokens_per_second,
        duration(left), report.skipped ? " | skipped" : "");
    if (terminal) {
      fmt::print(stderr, "\r\033[K{}", line);
      if (report.step == total) fmt::print(stderr, "\n");
    } else if (report.step % std::max<int64_t>(config.log_every, 1) == 0 || report.step == total) {
      fmt::print(stderr, "retune: {}\n", line);
    }
  };
  const train::TrainSummary summary = train::run_training(config, options.resume, events);
  fmt::print(
      "trained {} of {} parameters ({:.2f}%) for {} steps in {} ({:.0f} tokens/s), peak "
      "memory {:.2f} GB\n",
      summary.trainable_parameters, summary.total_parameters,
      100.0 * static_cast<double>(summary.trainable_parameters) /
          static_cast<double>(summary.total_parameters),
      summary.steps, duration(summary.seconds), summary.tokens_per_second,
      static_cast<double>(summary.peak_rss_bytes) / 1e9);
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
