// `retune soup --model A --model B ... --data HELDOUT.jsonl --out DIR`: the greedy model soup
// (merge/greedy_soup.h) of fine-tuned models of one base, each a model folder or `model+adapter`,
// scored on held-out files as `retune eval` scores them (its --seq-len, --batch-size,
// --normalize ... flags apply).
//
//   --metric auto|accuracy|loss   accuracy (mean exact match; ties by loss) or mean loss; auto:
//                                 accuracy when a held-out file has prompt/completion pairs
//   --out DIR                     the greedy soup as a Hugging Face model folder (atomically),
//                                 with the first ingredient's config and tokenizer files, each
//                                 weight in the dtype that folder stores it in
//   --json                        prints {"metric", "ingredients": [{"model", "accuracy",
//                                 "loss"}], "order", "tried": [{"model", "accuracy", "loss",
//                                 "kept"}], "kept", "soup": {...}, "uniform": {...}} instead of
//                                 the table (accuracy null under the loss metric)
#include <fmt/format.h>

#include <algorithm>
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
#include "io/model_folder_writer.h"
#include "merge/greedy_soup.h"

namespace retune::cli {
namespace {

struct SoupOptions {
  std::vector<std::string> models;
  std::vector<std::string> data;
  std::string metric = "auto";
  std::string out;
  EvaluationFlags evaluation;
  bool json = false;
  std::optional<int> threads;
};

nlohmann::json score_json(const merge::SoupScore& score) {
  return {{"accuracy", score.accuracy ? nlohmann::json(*score.accuracy) : nlohmann::json(nullptr)},
          {"loss", score.loss}};
}

nlohmann::json soup_json(const SoupOptions& options, const merge::GreedySoupResult& result,
                         merge::SoupMetric metric) {
  nlohmann::json out = {{"metric", metric == merge::SoupMetric::accuracy ? "accuracy" : "loss"}};
  out["ingredients"] = nlohmann::json::array();
  for (size_t i = 0; i < result.ingredients.size(); ++i) {
    nlohmann::json entry = score_json(result.ingredients[i]);
    entry["model"] = options.models[i];
    out["ingredients"].push_back(entry);
  }
  const auto labels = [&](const std::vector<size_t>& indices) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i : indices) list.push_back(options.models[i]);
    return list;
  };
  out["order"] = labels(result.order);
  out["tried"] = nlohmann::json::array();
  for (const merge::SoupCandidate& candidate : result.tried) {
    nlohmann::json entry = score_json(candidate.score);
    entry["model"] = options.models[candidate.ingredient];
    entry["kept"] = candidate.kept;
    out["tried"].push_back(entry);
  }
  out["kept"] = labels(result.kept);
  out["soup"] = score_json(result.soup);
  out["uniform"] = score_json(result.uniform);
  return out;
}

std::string score_cells(const merge::SoupScore& score) {
  return fmt::format("{:>9} {:>9.4f}",
                     score.accuracy ? fmt::format("{:.1f}%", 100 * *score.accuracy) : "-",
                     score.loss);
}

void print_table(const SoupOptions& options, const merge::GreedySoupResult& result) {
  size_t width = 24;
  for (const std::string& model : options.models) width = std::max(width, model.size() + 3);
  const auto row = [&](const std::string& label, const std::string& cells) {
    fmt::print("{:<{}} {}\n", label, width, cells);
  };
  const std::string header = fmt::format("{:>9} {:>9}", "accuracy", "loss");
  row("ingredient (best first)", header);
  for (size_t i : result.order) row(options.models[i], score_cells(result.ingredients[i]));
  fmt::print("\n");
  row("greedy pass", header);
  for (const merge::SoupCandidate& candidate : result.tried) {
    row("+ " + options.models[candidate.ingredient],
        score_cells(candidate.score) + (candidate.kept ? "  kept" : "  left out"));
  }
  fmt::print("\n");
  row(fmt::format("greedy soup ({} of {})", result.kept.size(), result.ingredients.size()),
      score_cells(result.soup));
  row("uniform soup (all)", score_cells(result.uniform));
}

int run_soup(const SoupOptions& options) {
  use_threads(options.threads);
  RETUNE_CHECK(options.models.size() >= 2, "a soup needs at least two --model, got {}",
               options.models.size());
  RETUNE_CHECK(!options.data.empty(), "the greedy soup needs held-out files: --data FILE");
  std::vector<merge::ModelReference> ingredients;
  for (const std::string& text : options.models) {
    ingredients.push_back(
        merge::parse_model_reference(text, std::filesystem::current_path(), "--model"));
  }
  // Every file read and tokenized before a model loads: a bad line fails at once.
  eval::EvaluationFiles heldout(ingredients.front().model, ingredients.front().model, options.data,
                                evaluation_options(options.evaluation));
  merge::SoupMetric metric = merge::SoupMetric::loss;
  if (options.metric == "accuracy" ||
      (options.metric == "auto" && heldout.has_pairs() && !options.evaluation.no_exact_match)) {
    metric = merge::SoupMetric::accuracy;
  }
  const merge::GreedySoupResult result =
      merge::greedy_soup(ingredients, heldout, metric,
                         [](const std::string& line) { fmt::print(stderr, "soup: {}\n", line); });
  const std::filesystem::path base = ingredients.front().model;
  write_model_folder(base, in_base_dtypes(base, result.weights), options.out);
  if (options.json) {
    fmt::print("{}\n", soup_json(options, result, metric).dump(2));
  } else {
    print_table(options, result);
    fmt::print("{}: the greedy soup of {} of the {} models\n", options.out, result.kept.size(),
               result.ingredients.size());
  }
  return 0;
}

}  // namespace

Command add_soup_command(CLI::App& app) {
  auto options = std::make_shared<SoupOptions>();
  CLI::App* command = app.add_subcommand(
      "soup", "greedy model soup: average fine-tuned models while a held-out score improves");
  command
      ->add_option("--model", options->models,
                   "an ingredient: a model folder or model+adapter (repeatable, two or more)")
      ->type_name("DIR");
  command->add_option("--data", options->data, "a held-out data file (repeatable)")
      ->type_name("FILE");
  command
      ->add_option("--metric", options->metric,
                   "accuracy (exact match, ties by loss), loss, or auto (accuracy when the "
                   "files have prompt/completion pairs)")
      ->check(CLI::IsMember({"auto", "accuracy", "loss"}))
      ->type_name("M");
  command->add_option("--out", options->out, "the soup's model folder (replaced whole)")
      ->type_name("DIR")
      ->required();
  add_evaluation_options(command, options->evaluation);
  command->add_flag("--json", options->json, "print the result as one JSON object");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_soup(*options); }};
}

}  // namespace retune::cli
