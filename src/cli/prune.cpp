// `retune prune --model DIR --sparsity S --out DIR --mask FILE`: one-shot global magnitude
// pruning of a model (train/magnitude_pruning.h; essential sparsity, METHODS.md D2). Writes the
// pruned model folder (the base folder's config and tokenizer files, each weight in the dtype the
// base stores it in) and the mask of the kept entries, which `retune train` takes as
// `sparse.mask` (with method full, the model `--out` wrote as `model`) to fine-tune with the mask
// fixed.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "io/model_folder_writer.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"
#include "train/magnitude_pruning.h"

namespace retune::cli {
namespace {

struct PruneOptions {
  std::string model;
  double sparsity = 0;
  std::string out;
  std::string mask;
  std::optional<int> threads;
};

int run_prune(const PruneOptions& options) {
  use_threads(options.threads);
  // The folder --out names is replaced whole: a mask inside it would be lost.
  const std::filesystem::path inside =
      std::filesystem::absolute(options.mask)
          .lexically_normal()
          .lexically_relative(std::filesystem::absolute(options.out).lexically_normal());
  RETUNE_CHECK(inside.empty() || *inside.begin() == "..",
               "--mask {}: put the mask outside the model folder --out {} writes", options.mask,
               options.out);
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(options.model);
  const train::PrunedWeights pruned =
      train::prune_by_magnitude(model::named_weights(*model), options.sparsity);
  write_safetensors(options.mask, pruned.mask, {});
  write_model_folder(options.model, in_base_dtypes(options.model, pruned.weights), options.out);
  fmt::print("{}: {} of {} decoder-layer linear weight entries kept ({:.1f}% pruned); mask {}\n",
             options.out, pruned.kept, pruned.maskable,
             100.0 * static_cast<double>(pruned.maskable - pruned.kept) /
                 static_cast<double>(pruned.maskable),
             options.mask);
  return 0;
}

}  // namespace

Command add_prune_command(CLI::App& app) {
  auto options = std::make_shared<PruneOptions>();
  CLI::App* command = app.add_subcommand(
      "prune",
      "one-shot global magnitude pruning of the layers' linear weights (essential sparsity)");
  command->add_option("--model", options->model, "the model folder to prune")
      ->type_name("DIR")
      ->required();
  command
      ->add_option("--sparsity", options->sparsity,
                   "the fraction of the linear weights' entries set to zero, in [0, 1)")
      ->type_name("S")
      ->required();
  command->add_option("--out", options->out, "the pruned model folder (replaced whole)")
      ->type_name("DIR")
      ->required();
  command
      ->add_option("--mask", options->mask,
                   "the mask file of the kept entries, for retune train's sparse.mask")
      ->type_name("FILE")
      ->required();
  add_threads_option(command, options->threads);
  return {command, [options] { return run_prune(*options); }};
}

}  // namespace retune::cli
