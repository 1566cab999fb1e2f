// `retune analyze graft --base DIR --tuned DIR --data FILE... [--sparsity S] [--epochs E]
// [--lr LR] [--max-batches N] [--json] [--out DIR]`: skill localisation by grafting
// (eval/grafting.h, METHODS.md D3): the smallest region of the decoder layers' linear weights
// whose fine-tuned values, grafted onto the base, recover what the fine-tuning learned on the
// data files (scored as `retune eval` scores them: its --seq-len, --batch-size, --normalize ...
// flags apply).
//
// The table: the grafted share of the entries, then the loss and accuracy of the base, the tuned
// model, the base patch and the final graft, and the share of the fine-tuning's gain in each
// that the grafts recover. With --json one object {"base", "tuned", "data", "sparsity",
// "epochs", "lr", "batches", "grafted_entries", "base_patch_entries", "graft_entries",
// "grafted_fraction", "scores": {"pre"|"tuned"|"base_patch"|"graft": {"loss", "accuracy"}},
// "recovered": {"base_patch"|"graft": {"loss", "accuracy"}}, "epoch_losses"} (accuracy null
// without prompt/completion pairs, a recovered share null when the tuned score equals the
// base's). --out writes the final graft as a model folder (the base's config and tokenizer
// files, each weight in the base's dtype) with its mask as mask.safetensors (LT-SFT's format),
// atomically.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/evaluation_options.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "eval/grafting.h"
#include "io/model_folder_writer.h"

namespace retune::cli {
namespace {

struct GraftOptions {
  std::string base;
  std::string tuned;
  std::vector<std::string> data;
  eval::GraftOptions graft;
  EvaluationFlags evaluation;
  bool json = false;
  std::optional<std::string> out;
  std::optional<int> threads;
};

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json score_json(const eval::GraftScore& score) {
  return {{"loss", score.loss}, {"accuracy", optional_json(score.accuracy)}};
}

std::optional<double> recovered_accuracy(const eval::GraftResult& result,
                                         const eval::GraftScore& graft) {
  if (!result.pre.accuracy || !result.tuned.accuracy || !graft.accuracy) return std::nullopt;
  return eval::recovered_fraction(*result.pre.accuracy, *result.tuned.accuracy, *graft.accuracy);
}

std::optional<double> recovered_loss(const eval::GraftResult& result,
                                     const eval::GraftScore& graft) {
  return eval::recovered_fraction(result.pre.loss, result.tuned.loss, graft.loss);
}

double grafted_fraction(const eval::GraftResult& result) {
  return static_cast<double>(result.graft_ones) / static_cast<double>(result.grafted_entries);
}

nlohmann::json graft_json(const GraftOptions& options, const eval::GraftResult& result) {
  const auto recovered = [&](const eval::GraftScore& graft) {
    return nlohmann::json{{"loss", optional_json(recovered_loss(result, graft))},
                          {"accuracy", optional_json(recovered_accuracy(result, graft))}};
  };
  return {
      {"base", options.base},
      {"tuned", options.tuned},
      {"data", options.data},
      {"sparsity", options.graft.sparsity},
      {"epochs", options.graft.epochs},
      {"lr", options.graft.lr},
      {"batches", result.batches},
      {"grafted_entries", result.grafted_entries},
      {"base_patch_entries", result.patch_ones},
      {"graft_entries", result.graft_ones},
      {"grafted_fraction", grafted_fraction(result)},
      {"scores",
       {{"pre", score_json(result.pre)},
        {"tuned", score_json(result.tuned)},
        {"base_patch", score_json(result.patch)},
        {"graft", score_json(result.graft)}}},
      {"recovered", {{"base_patch", recovered(result.patch)}, {"graft", recovered(result.graft)}}},
      {"epoch_losses", result.epoch_losses}};
}

std::string percent(const std::optional<double>& share) {
  return share ? fmt::format("{:.1f}%", 100 * *share) : "-";
}

void print_table(const eval::GraftResult& result) {
  fmt::print("grafted: {} of {} entries ({:.4f}%), base patch {}\n", result.graft_ones,
             result.grafted_entries, 100 * grafted_fraction(result), result.patch_ones);
  fmt::print("{:<12} {:>9} {:>9} {:>15} {:>11}\n", "model", "accuracy", "loss", "recovered (acc)",
             "(loss)");
  const auto row = [&](const std::string& label, const eval::GraftScore& score,
                       const std::string& recovered) {
    fmt::print("{:<12} {:>9} {:>9.4f}{}\n", label,
               score.accuracy ? fmt::format("{:.1f}%", 100 * *score.accuracy) : "-", score.loss,
               recovered);
  };
  const auto recovered = [&](const eval::GraftScore& graft) {
    return fmt::format(" {:>15} {:>11}", percent(recovered_accuracy(result, graft)),
                       percent(recovered_loss(result, graft)));
  };
  row("pre", result.pre, "");
  row("tuned", result.tuned, "");
  row("base patch", result.patch, recovered(result.patch));
  row("graft", result.graft, recovered(result.graft));
}

int run_graft(const GraftOptions& options) {
  use_threads(options.threads);
  RETUNE_CHECK(options.graft.sparsity > 0 && options.graft.sparsity <= 1,
               "--sparsity must be in (0, 1], got {}", options.graft.sparsity);
  RETUNE_CHECK(options.graft.epochs >= 0, "--epochs must be >= 0, got {}", options.graft.epochs);
  RETUNE_CHECK(options.graft.lr > 0, "--lr must be > 0, got {}", options.graft.lr);
  RETUNE_CHECK(options.graft.max_batches >= 1, "--max-batches must be >= 1, got {}",
               options.graft.max_batches);
  // Every file read and tokenized before a model loads: a bad line fails at once.
  eval::EvaluationFiles files(options.base, options.base, options.data,
                              evaluation_options(options.evaluation));
  const eval::GraftResult result =
      eval::graft(options.base, options.tuned, files, options.graft,
                  [](const std::string& line) { fmt::print(stderr, "graft: {}\n", line); });
  if (options.out) {
    write_model_folder(options.base, in_base_dtypes(options.base, result.weights), *options.out,
                       nlohmann::json::object(), kDefaultMaxShardBytes,
                       [&](const std::filesystem::path& folder) {
                         write_safetensors(folder / "mask.safetensors", result.mask, {});
                       });
  }
  if (options.json) {
    fmt::print("{}\n", graft_json(options, result).dump());
  } else {
    print_table(result);
    if (options.out) fmt::print("{}: the graft, its mask mask.safetensors\n", *options.out);
  }
  return 0;
}

}  // namespace

Command add_analyze_graft_command(CLI::App& analyze) {
  auto options = std::make_shared<GraftOptions>();
  CLI::App* command = analyze.add_subcommand(
      "graft",
      "skill localisation: the fewest fine-tuned weights that, grafted onto the base, "
      "recover the task");
  command->add_option("--base", options->base, "the pretrained model folder")
      ->type_name("DIR")
      ->required();
  command->add_option("--tuned", options->tuned, "the fine-tuned model folder")
      ->type_name("DIR")
      ->required();
  command->add_option("--data", options->data, "a task data file (repeatable)")
      ->type_name("FILE")
      ->required();
  command
      ->add_option("--sparsity", options->graft.sparsity,
                   "the base patch's share of the grafted entries, in (0, 1] (default 0.01)")
      ->type_name("S");
  command
      ->add_option("--epochs", options->graft.epochs, "full-batch steps on the mask (default 10)")
      ->type_name("E");
  command->add_option("--lr", options->graft.lr, "the mask scores' learning rate (default 1e7)")
      ->type_name("LR");
  command
      ->add_option("--max-batches", options->graft.max_batches,
                   "the batches each step's gradient is accumulated over (default 128)")
      ->type_name("N");
  add_evaluation_options(command, options->evaluation);
  command->add_flag("--json", options->json, "print one JSON object");
  command
      ->add_option("--out", options->out,
                   "write the graft as a model folder with its mask.safetensors (replaced whole)")
      ->type_name("DIR");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_graft(*options); }};
}

}  // namespace retune::cli
