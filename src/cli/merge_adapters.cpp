// `retune merge-adapters --adapter DIR --adapter DIR ... --weights W1,W2,... --combination TYPE
// [--density D] [--majority-sign-method total|frequency] [--svd-rank R] [--svd-clamp Q]
// [--seed S] --out DIR`: PEFT LoRA adapters of one base model merged into a new adapter folder as
// PEFT's add_weighted_adapter merges them (merge/adapter_merge.h), without the base model.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/threads_option.h"
#include "merge/adapter_merge.h"

namespace retune::cli {

namespace {

struct MergeAdaptersOptions {
  std::vector<std::string> adapters;
  std::string combination = "svd";
  std::string majority_sign = "total";
  std::optional<double> density;
  std::optional<double> svd_clamp;
  std::string out;
  merge::AdapterMergeOptions merge;
  std::optional<int> threads;
};

int run_merge_adapters(MergeAdaptersOptions& options) {
  use_threads(options.threads);
  merge::CombinationOptions& combination = options.merge.combination;
  combination.combination = merge::parse_adapter_combination(options.combination);
  combination.majority_sign = options.majority_sign == "frequency" ? merge::MajoritySign::frequency
                                                                   : merge::MajoritySign::total;
  combination.density = options.density;
  combination.svd_clamp = options.svd_clamp;
  const std::vector<std::filesystem::path> folders(options.adapters.begin(),
                                                   options.adapters.end());
  const merge::AdapterMerge result = merge::merge_adapters(folders, options.out, options.merge);
  for (const std::string& warning : result.warnings) {
    fmt::print(stderr, "retune: warning: {}\n", warning);
  }
  fmt::print("{}: {} of {} adapters, {} modules, rank {}\n", options.out,
             merge::adapter_combination_name(result.combination), folders.size(), result.modules,
             result.rank);
  return 0;
}

}  // namespace

Command add_merge_adapters_command(CLI::App& app) {
  auto options = std::make_shared<MergeAdaptersOptions>();
  CLI::App* command = app.add_subcommand(
      "merge-adapters",
      "PEFT LoRA adapters merged into one as PEFT's add_weighted_adapter does (no base model)");
  command->add_option("--adapter", options->adapters, "an adapter folder (repeat for each)")
      ->type_name("DIR")
      ->required();
  command
      ->add_option("--weights", options->merge.weights,
                   "one weight per adapter, comma-separated (negative ones subtract)")
      ->type_name("W1,W2,...")
      ->delimiter(',')
      ->required();
  command
      ->add_option("--combination", options->combination,
                   "linear, cat, svd, ties, ties_svd, dare_linear, dare_linear_svd, dare_ties, "
                   "dare_ties_svd, magnitude_prune or magnitude_prune_svd (PEFT's "
                   "combination_type)")
      ->type_name("TYPE")
      ->capture_default_str();
  command
      ->add_option("--density", options->density,
                   "the fraction of entries kept (ties*, dare_*, magnitude_prune*), in (0, 1]")
      ->type_name("D");
  command
      ->add_option("--majority-sign-method", options->majority_sign,
                   "how ties* and dare_ties* elect each entry's sign")
      ->type_name("total|frequency")
      ->check(CLI::IsMember({"total", "frequency"}))
      ->capture_default_str();
  command
      ->add_option("--svd-rank", options->merge.svd_rank,
                   "the merged rank (svd, *_svd); default: the largest input rank")
      ->type_name("R");
  command
      ->add_option("--svd-clamp", options->svd_clamp,
                   "clamp the factors to this quantile of their entries (svd, *_svd), in [0, 1]")
      ->type_name("Q");
  command->add_option("--seed", options->merge.seed, "the seed of dare_*'s drop masks")
      ->type_name("S")
      ->capture_default_str();
  command->add_option("--out", options->out, "the adapter folder to write (replaced whole)")
      ->type_name("DIR")
      ->required();
  add_threads_option(command, options->threads);
  return {command, [options] { return run_merge_adapters(*options); }};
}

}  // namespace retune::cli
