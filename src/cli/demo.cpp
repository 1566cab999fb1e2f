// `retune demo [--out DIR] [--steps N] [--continual-steps N] [--pretrain-steps N] [--cache DIR]
// [--threads N]`:
// pretrains a tiny base model on procedural tasks (cached after the first run), fine-tunes it on
// a new task with every method on the same budget, prints what each learned and forgot, and
// writes report.html (continual/forgetting_demo.h).
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/run_progress.h"
#include "cli/threads_option.h"
#include "continual/forgetting_demo.h"

namespace retune::cli {

namespace {

struct DemoCommandOptions {
  std::string out = "retune-demo";
  std::string cache;
  int64_t pretrain_steps = 1000;
  int64_t steps = 300;
  int64_t continual_steps = 150;
  int64_t test_examples = 100;
  std::optional<int> threads;
};

// $XDG_CACHE_HOME/retune, else ~/.cache/retune, else a folder beside the output.
std::filesystem::path default_cache(const std::filesystem::path& out) {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "retune";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".cache" / "retune";
  }
  return out / ".cache";
}

int run_demo(const DemoCommandOptions& options) {
  continual::DemoOptions demo{.out = options.out,
                              .cache = options.cache.empty() ? default_cache(options.out)
                                                             : std::filesystem::path(options.cache),
                              .pretrain_steps = options.pretrain_steps,
                              .steps = options.steps,
                              .continual_steps = options.continual_steps,
                              .test_examples = options.test_examples,
                              // The model is tiny: more threads only add their overhead.
                              .threads = options.threads.value_or(1)};
  const continual::DemoResult result = continual::run_forgetting_demo(demo, progress_events(10));
  fmt::print("\nnew task: {} | old tasks: {} | {} steps per method\n", result.new_task,
             fmt::join(result.old_tasks, ", "), options.steps);
  fmt::print("{:<14}{:>10}{:>11}{:>12}{:>12}{:>9}\n", "method", "new task", "retained",
             "forgetting", "trainable", "time");
  fmt::print("{:<14}{:>10.2f}{:>11.2f}{:>12}{:>12}{:>9}\n", "base", result.base_new_task_accuracy,
             result.base_retained_accuracy, "-", "-", "-");
  for (const continual::DemoMethodResult& m : result.methods) {
    fmt::print("{:<14}{:>10.2f}{:>11.2f}{:>12.2f}{:>12}{:>8.1f}s\n", m.name, m.new_task_accuracy,
               m.retained_accuracy, m.forgetting, m.trainable_parameters, m.seconds);
  }
  fmt::print(
      "accuracy: exact match on {} test examples per task; retained: mean over the old tasks; "
      "forgetting: the fall of retained accuracy from the base's\nreport: {}\n",
      options.test_examples, result.report.string());
  return 0;
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "demo", "pretrain a tiny model, fine-tune it with every method, show what it forgets");
  command->add_option("--out", options->out, "the output folder (default retune-demo)");
  command->add_option("--steps", options->steps, "fine-tuning steps per method (default 300)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--continual-steps", options->continual_steps,
                   "steps per task of the continual run; 0: none (default 150)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--pretrain-steps", options->pretrain_steps,
                   "the base's pretraining steps (default 1000; a base per value is cached)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--test-examples", options->test_examples,
                   "test examples per task, scored at every evaluation (default 100)")
      ->check(CLI::PositiveNumber);
  command->add_option("--cache", options->cache,
                      "where the pretrained base is kept (default ~/.cache/retune)");
  add_threads_option(command, options->threads);
  command->footer(
      "Old tasks copy, reverse and maximum; new task sort (retune tasks list). The base (a "
      "125k-parameter Llama-architecture model with a character tokenizer) is pretrained once "
      "and cached. Methods: full, WiSE-FT of it (alpha 0.5), LoRA, LoRA with 25% replay, LoRA "
      "with self-distillation, full with L2-SP, full with EWC, full with k-FPF; "
      "then a continual LoRA run over sort, count, parity and lookup. Writes "
      "OUT/demo.json, OUT/methods/*, OUT/continual/ and OUT/report.html. Runs on one thread "
      "unless --threads says otherwise (the model is too small to gain from more).");
  return {command, [options] { return run_demo(*options); }};
}

}  // namespace retune::cli
