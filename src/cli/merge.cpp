// `retune merge CONFIG.yaml --out DIR`: merges models as a mergekit YAML config says
// (merge/merge_config.h for the schema, merge/merge_method.h for the methods and their
// parameters) and writes a Hugging Face model folder, atomically. Tensors stream from the
// mmapped inputs, several at a time (--threads); a progress line on stderr (redrawn on a
// terminal, every 10% otherwise); warnings as "retune: warning: ...".
//
//   --seed N              seed of the random methods' masks (dare_*, della*), unless the config
//                         sets parameters.seed (default 0: a merge is reproducible)
//   --max-shard-size S    bytes of tensor data per output shard: 5B (default), 500M, 2K, ...
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/threads_option.h"
#include "merge/model_merge.h"
#include "merge/shard_writer.h"

namespace retune::cli {

namespace {

struct MergeCliOptions {
  std::string config;
  std::string out;
  uint64_t seed = 0;
  std::string max_shard_size = "5B";
  std::optional<int> threads;
};

// A progress callback: a redrawn line on a terminal, a line per tenth of the bytes otherwise.
auto progress_printer() {
  const bool terminal = ::isatty(::fileno(stderr)) != 0;
  auto last_tenth = std::make_shared<int>(-1);
  return [terminal, last_tenth](size_t done, size_t total, uint64_t bytes, uint64_t total_bytes) {
    const std::string line = fmt::format("retune: merged {}/{} tensors, {:.1f}/{:.1f} MB", done,
                                         total, bytes / 1e6, total_bytes / 1e6);
    if (terminal) {
      fmt::print(stderr, "\r\033[K{}", line);
      if (done == total) fmt::print(stderr, "\n");
      return;
    }
    const int tenth = total_bytes == 0 ? 10 : static_cast<int>(10 * bytes / total_bytes);
    if (tenth != *last_tenth) {
      *last_tenth = tenth;
      fmt::print(stderr, "{}\n", line);
    }
  };
}

int run_merge_command(const MergeCliOptions& options) {
  use_threads(options.threads);
  const merge::MergeConfig config = merge::read_merge_config(options.config);
  merge::MergeOptions merge_options;
  merge_options.seed = options.seed;
  merge_options.max_shard_bytes = merge::parse_shard_size(options.max_shard_size);
  merge_options.on_progress = progress_printer();
  merge_options.on_warning = [](const std::string& line) {
    fmt::print(stderr, "retune: warning: {}\n", line);
  };
  const merge::MergeSummary summary = merge::run_merge(config, options.out, merge_options);
  fmt::print("{}: {} merge of {} tensors, {} layers, {:.1f} MB in {} file{}\n", options.out,
             config.method->name, summary.tensors, summary.num_layers, summary.bytes / 1e6,
             summary.files.size(), summary.files.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeCliOptions>();
  CLI::App* command = app.add_subcommand(
      "merge", "merge models as a mergekit YAML config says and write a model folder");
  command->add_option("config", options->config, "the merge config (mergekit's YAML schema)")
      ->type_name("CONFIG.yaml")
      ->required();
  command->add_option("--out", options->out, "the model folder to write (replaced whole)")
      ->type_name("DIR")
      ->required();
  command->add_option("--seed", options->seed, "seed of the random methods' masks (default 0)")
      ->type_name("N");
  command
      ->add_option("--max-shard-size", options->max_shard_size,
                   "tensor bytes per output shard, like 5B (default) or 500M")
      ->type_name("SIZE");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_merge_command(*options); }};
}

}  // namespace retune::cli
