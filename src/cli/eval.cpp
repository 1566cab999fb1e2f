// `retune eval --model DIR [--adapter DIR] --data FILE [--data FILE ...] [--json]`: for each data
// file (any format `retune train` reads), the mean token loss and perplexity over the tokens
// training would score (completions and assistant turns by default; --train-on-all: every
// token), each example in its own row of --seq-len tokens as `retune train` evaluates; and for
// prompt/completion data (Alpaca included) the exact-match accuracy of greedy completions
// (eval/exact_match.h), unless --no-exact-match. A line per file, or with --json one JSON object
// {"model", "adapter", "files": [{"file", "examples", "loss", "perplexity", "tokens",
// "truncated", "exact_match": {"scored", "correct", "accuracy"} or null}]} on stdout. With a Poly
// adapter each example runs with its "task" field's task (else --task's; train/poly_tasks.h).
// --device cuda[:N] scores on a GPU, exact match included (any model, alone or with any
// adapter). --seq-len must not exceed GPT-2's learned positions.
#include <fmt/format.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/poly_model.h"
#include "cli/commands.h"
#include "cli/evaluation_options.h"
#include "cli/model_options.h"
#include "cli/threads_option.h"
#include "core/device.h"
#include "eval/file_evaluation.h"
#include "train/poly_tasks.h"

namespace retune::cli {

namespace {

struct EvalOptions {
  ModelSource source;
  std::vector<std::string> data;
  EvaluationFlags evaluation;
  bool json = false;
  std::optional<int> threads;
  std::string device = "cpu";
};

nlohmann::json to_json(const eval::FileEvaluation& r) {
  nlohmann::json exact = nullptr;
  if (r.exact) {
    exact = {{"scored", r.exact->scored},
             {"correct", r.exact->correct},
             {"accuracy", r.exact->accuracy()}};
  }
  return {{"file", r.file},          {"examples", r.examples},
          {"loss", r.loss.loss},     {"perplexity", r.loss.perplexity()},
          {"tokens", r.loss.tokens}, {"truncated", r.truncated},
          {"exact_match", exact}};
}

std::string to_line(const eval::FileEvaluation& r) {
  std::string line =
      fmt::format("{}: loss {:.4f}, perplexity {:.3f} over {} tokens ({} examples", r.file,
                  r.loss.loss, r.loss.perplexity(), r.loss.tokens, r.examples);
  if (r.truncated > 0) line += fmt::format(", {} truncated", r.truncated);
  line += ")";
  if (r.exact) {
    line += fmt::format("; exact match {}/{} = {:.1f}%", r.exact->correct, r.exact->scored,
                        100 * r.exact->accuracy());
  }
  return line;
}

int run_eval(const EvalOptions& options) {
  use_threads(options.threads);
  const Device device = parse_device(options.device);
  // Every file read and tokenized before the model runs: a bad line fails at once.
  eval::EvaluationFiles files(options.source.tokenizer_folder(), options.source.model, options.data,
                              evaluation_options(options.evaluation));
  std::unique_ptr<adapters::TrainedAdapter> adapter;
  const std::unique_ptr<model::CausalLm> model = load_model(options.source, &adapter);
  use_device(*model, adapter.get(), device);
  // A Poly adapter routes each row by its example's task ("task" fields, else --task).
  auto* poly = dynamic_cast<adapters::PolyModel*>(adapter.get());
  std::function<void(const std::vector<int32_t>&)> route;
  if (poly) {
    files.set_tasks([&](const std::vector<Example>& examples) {
      return train::example_tasks(examples, *poly, options.source.task);
    });
    route = [poly](const std::vector<int32_t>& tasks) { poly->route(tasks); };
  }
  std::vector<eval::FileEvaluation> results;
  for (size_t i = 0; i < files.size(); ++i) {
    results.push_back(files.evaluate(*model, i, route));
    if (!options.json) fmt::print("{}\n", to_line(results.back()));
  }
  if (options.json) {
    nlohmann::json out = {
        {"model", options.source.model},
        {"adapter", options.source.adapter ? nlohmann::json(*options.source.adapter)
                                           : nlohmann::json(nullptr)},
        {"files", nlohmann::json::array()}};
    for (const eval::FileEvaluation& r : results) out["files"].push_back(to_json(r));
    fmt::print("{}\n", out.dump(2));
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* command = app.add_subcommand(
      "eval", "report a model's loss, perplexity and exact-match accuracy on data files");
  add_model_options(command, options->source);
  command->add_option("--data", options->data, "a data file (JSONL or .txt; repeatable)")
      ->type_name("FILE")
      ->required();
  add_evaluation_options(command, options->evaluation);
  command->add_flag("--json", options->json, "print one JSON object instead of lines");
  add_threads_option(command, options->threads);
  command->add_option("--device", options->device, "cpu (default), cuda or cuda:N")
      ->type_name("DEVICE");
  return {command, [options] { return run_eval(*options); }};
}

}  // namespace retune::cli
