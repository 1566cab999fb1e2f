#include "eval/file_evaluation.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "core/error.h"
#include "data/packing.h"
#include "data/pad_token.h"
#include "model/generation_config.h"
#include "model/model_config.h"

namespace retune::eval {

EvaluationFiles::EvaluationFiles(const std::filesystem::path& tokenizer_folder,
                                 const std::filesystem::path& model_folder,
                                 const std::vector<std::string>& files,
                                 FileEvaluationOptions options)
    : options_(std::move(options)), tokenizer_(Tokenizer::load(tokenizer_folder)) {
  const int64_t positions = model::position_limit(model::load_model_config(model_folder));
  RETUNE_CHECK(options_.seq_len <= positions,
               "--seq-len {} exceeds the {} learned positions of {} (n_positions)",
               options_.seq_len, positions, model_folder.string());
  for (const std::string& path : files) {
    File file{.path = path, .examples = read_examples(path, options_.format)};
    file.has_pairs = std::any_of(file.examples.begin(), file.examples.end(), [](const Example& e) {
      return std::holds_alternative<PromptCompletion>(e.content);
    });
    files_.push_back(std::move(file));
  }
  TokenizeOptions tokenize{.train_on_all = options_.train_on_all};
  for (const File& file : files_) {
    if (has_conversations(file.examples) && !tokenize.chat) {
      tokenize.chat = chat_template(tokenizer_folder, options_.chat_template);
    }
  }
  for (File& file : files_) file.tokenized = tokenize_examples(file.examples, tokenizer_, tokenize);
  pad_id_ = pad_token_id(tokenizer_folder, tokenizer_);
  exact_options_ = {.normalizer = options_.normalizer,
                    .max_new_tokens = options_.max_new_tokens,
                    .stop_ids = end_token_ids(model::load_generation_config(model_folder),
                                              tokenizer_, std::nullopt)};
}

void EvaluationFiles::set_tasks(
    const std::function<std::vector<int32_t>(const std::vector<Example>&)>& tasks_of) {
  for (File& file : files_) {
    const std::vector<int32_t> tasks = tasks_of(file.examples);
    for (size_t i = 0; i < tasks.size(); ++i) file.tokenized.at(i).task = tasks[i];
  }
}

FileEvaluation EvaluationFiles::evaluate(
    const model::CausalLm& model, size_t index,
    const std::function<void(const std::vector<int32_t>&)>& route) {
  const File& file = files_.at(index);
  FileEvaluation result{
      .file = file.path,
      .examples = static_cast<int64_t>(file.examples.size()),
      .truncated = summarize(file.tokenized, options_.seq_len).truncated_examples};
  std::function<void(const Batch&)> before_batch;
  if (route) before_batch = [&](const Batch& batch) { route(batch.tasks); };
  result.loss = evaluate_loss(model, file.tokenized, options_.seq_len, options_.batch_size, pad_id_,
                              before_batch);
  if (file.has_pairs && options_.exact_match) {
    if (route) {
      const int32_t task = file.tokenized.front().task;
      for (const TokenizedExample& example : file.tokenized) {
        RETUNE_CHECK(example.task == task,
                     "{}: exact match with a Poly adapter needs one task for the whole file, and "
                     "its examples have tasks {} and {} (evaluate them in separate files, or "
                     "pass --no-exact-match)",
                     file.path, task, example.task);
      }
      route({task});
    }
    result.exact = exact_match(model, tokenizer_, file.examples, exact_options_);
  }
  return result;
}

std::vector<FileEvaluation> EvaluationFiles::evaluate_all(const model::CausalLm& model) {
  std::vector<FileEvaluation> results;
  for (size_t i = 0; i < files_.size(); ++i) results.push_back(evaluate(model, i));
  return results;
}

bool EvaluationFiles::has_pairs() const {
  return std::any_of(files_.begin(), files_.end(), [](const File& file) { return file.has_pairs; });
}

}  // namespace retune::eval
