// `retune eval --model DIR [--adapter DIR] --data FILE [--data FILE ...] [--json]`: for each data
// file (any format `retune train` reads), the mean token loss and perplexity over the tokens
// training would score (completions and assistant turns by default; --train-on-all: every
// token), each example in its own row of --seq-len tokens as `retune train` evaluates; and for
// prompt/completion data (Alpaca included) the exact-match accuracy of greedy completions
// (eval/exact_match.h), unless --no-exact-match. A line per file, or with --json one JSON object
// {"model", "adapter", "files": [{"file", "examples", "loss", "perplexity", "tokens",
// "truncated", "exact_match": {"scored", "correct", "accuracy"} or null}]} on stdout.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "data/dataset_file.h"
#include "data/packing.h"
#include "data/pad_token.h"
#include "data/tokenized_example.h"
#include "eval/exact_match.h"
#include "eval/loss_evaluation.h"
#include "model/generation_config.h"

namespace retune::cli {

namespace {

struct EvalOptions {
  ModelSource source;
  std::vector<std::string> data;
  std::string format = "auto";
  std::optional<std::string> chat_template;
  bool train_on_all = false;
  int64_t seq_len = 1024;
  int64_t batch_size = 4;
  bool no_exact_match = false;
  std::string normalize = "strip";
  int64_t max_new_tokens = 0;
  bool json = false;
  std::optional<int> threads;
};

// One file's results.
struct FileResult {
  std::string file;
  int64_t examples = 0;
  int64_t truncated = 0;
  eval::LossEvaluation loss;
  std::optional<eval::ExactMatch> exact;
};

nlohmann::json to_json(const FileResult& r) {
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

std::string to_line(const FileResult& r) {
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
  RETUNE_CHECK(options.seq_len >= 2, "--seq-len must be at least 2, got {}", options.seq_len);
  RETUNE_CHECK(options.batch_size >= 1, "--batch-size must be at least 1, got {}",
               options.batch_size);
  RETUNE_CHECK(options.max_new_tokens >= 0, "--max-new-tokens must be >= 0, got {}",
               options.max_new_tokens);
  const DataFormat format = parse_data_format(options.format);
  eval::ExactMatchOptions exact_options{
      .normalizer = eval::parse_answer_normalizer(options.normalize),
      .max_new_tokens = options.max_new_tokens};

  // Every file read and tokenized before the model runs: a bad line fails at once.
  const std::filesystem::path tokenizer_folder = options.source.tokenizer_folder();
  Tokenizer tokenizer = Tokenizer::load(tokenizer_folder);
  std::vector<std::vector<Example>> files;
  for (const std::string& file : options.data) files.push_back(read_examples(file, format));
  TokenizeOptions tokenize{.train_on_all = options.train_on_all};
  for (const std::vector<Example>& examples : files) {
    if (has_conversations(examples) && !tokenize.chat) {
      tokenize.chat = chat_template(tokenizer_folder, options.chat_template);
    }
  }
  std::vector<std::vector<TokenizedExample>> tokenized;
  for (const std::vector<Example>& examples : files) {
    tokenized.push_back(tokenize_examples(examples, tokenizer, tokenize));
  }
  const int32_t pad_id = pad_token_id(tokenizer_folder, tokenizer);
  exact_options.stop_ids = eval::end_token_ids(model::load_generation_config(options.source.model),
                                               tokenizer, std::nullopt);

  const std::unique_ptr<model::CausalLm> model = load_model(options.source);
  std::vector<FileResult> results;
  for (size_t i = 0; i < files.size(); ++i) {
    FileResult r{.file = options.data[i], .examples = static_cast<int64_t>(files[i].size())};
    r.truncated = summarize(tokenized[i], options.seq_len).truncated_examples;
    r.loss = eval::evaluate_loss(*model, tokenized[i], options.seq_len, options.batch_size, pad_id);
    const bool pairs = std::any_of(files[i].begin(), files[i].end(), [](const Example& e) {
      return std::holds_alternative<PromptCompletion>(e.content);
    });
    if (pairs && !options.no_exact_match) {
      r.exact = eval::exact_match(*model, tokenizer, files[i], exact_options);
    }
    if (!options.json) fmt::print("{}\n", to_line(r));
    results.push_back(std::move(r));
  }
  if (options.json) {
    nlohmann::json out = {
        {"model", options.source.model},
        {"adapter", options.source.adapter ? nlohmann::json(*options.source.adapter)
                                           : nlohmann::json(nullptr)},
        {"files", nlohmann::json::array()}};
    for (const FileResult& r : results) out["files"].push_back(to_json(r));
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
  command
      ->add_option("--format", options->format,
                   "auto, text, prompt_completion, alpaca or chat (default auto)")
      ->type_name("NAME");
  command
      ->add_option("--chat-template", options->chat_template,
                   "chatml or llama3 instead of the tokenizer's template, for chat data")
      ->type_name("NAME");
  command->add_flag("--train-on-all", options->train_on_all,
                    "score every token, not only completions and assistant turns");
  command
      ->add_option("--seq-len", options->seq_len,
                   "tokens per row; longer examples are cut (default 1024)")
      ->type_name("N");
  command->add_option("--batch-size", options->batch_size, "rows per forward (default 4)")
      ->type_name("N");
  command->add_flag("--no-exact-match", options->no_exact_match,
                    "skip the greedy completions of prompt/completion data");
  command
      ->add_option("--normalize", options->normalize,
                   "how answers are compared: none, strip, lowercase or strip,lowercase "
                   "(default strip)")
      ->type_name("SPEC");
  command
      ->add_option("--max-new-tokens", options->max_new_tokens,
                   "the most tokens per greedy completion (default: the reference's token "
                   "count + 16)")
      ->type_name("N");
  command->add_flag("--json", options->json, "print one JSON object instead of lines");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_eval(*options); }};
}

}  // namespace retune::cli
