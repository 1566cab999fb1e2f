// Evaluating a model on data files as `retune eval` does: each file (any format `retune train`
// reads) is read and tokenized once, up front, so that a bad line fails before a model runs;
// then any number of models are scored on it: the mean token loss over the tokens training would
// score (eval/loss_evaluation.h), each example in its own row of seq_len tokens, and for files
// with prompt/completion pairs (Alpaca included) the exact match of greedy completions
// (eval/exact_match.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset_file.h"
#include "data/tokenized_example.h"
#include "eval/exact_match.h"
#include "eval/loss_evaluation.h"
#include "model/causal_lm.h"
#include "tokenizer/tokenizer.h"

namespace retune::eval {

struct FileEvaluationOptions {
  DataFormat format = DataFormat::detect;
  std::optional<std::string> chat_template;  // "chatml" or "llama3" instead of the tokenizer's
  bool train_on_all = false;                 // score every token, not only completions/turns
  int64_t seq_len = 1024;                    // tokens per row; longer examples are cut
  int64_t batch_size = 4;                    // rows per forward
  bool exact_match = true;                   // score the greedy completions of pairs
  AnswerNormalizer normalizer;
  int64_t max_new_tokens = 0;  // per completion; 0: the reference's token count + 16
};

// One file's scores under one model.
struct FileEvaluation {
  std::string file;                 // as given
  int64_t examples = 0;             // in the file
  int64_t truncated = 0;            // examples longer than seq_len
  LossEvaluation loss;              // over the scored tokens
  std::optional<ExactMatch> exact;  // files with prompt/completion pairs, unless turned off
};

class EvaluationFiles {
 public:
  // Reads and tokenizes `files` with the tokenizer of `tokenizer_folder` (its pad token pads
  // rows), and reads the end tokens greedy completions stop at from `model_folder`'s
  // generation_config.json. Throws an Error naming the file and line of a bad example, for a
  // chat without a template, or for a seq_len beyond the learned positions of `model_folder`'s
  // config (GPT-2's n_positions; named as --seq-len). The options must be in range (seq_len >= 2,
  // batch_size >= 1, max_new_tokens >= 0): the caller checks them, naming its own flags or fields.
  EvaluationFiles(const std::filesystem::path& tokenizer_folder,
                  const std::filesystem::path& model_folder, const std::vector<std::string>& files,
                  FileEvaluationOptions options);

  size_t size() const { return files_.size(); }
  // Whether any file has prompt/completion pairs (whose greedy completions exact match scores).
  bool has_pairs() const;

  // Gives every example the task id `tasks_of` returns for its file's examples (a Poly adapter's:
  // train/poly_tasks.h), before evaluate() with a router.
  void set_tasks(const std::function<std::vector<int32_t>(const std::vector<Example>&)>& tasks_of);

  // The scores of file `index` under `model` (its adapters apply as at inference). `route`, when
  // set, is given the rows' tasks before each forward (a Poly adapter's PolyModel::route); exact
  // match then needs the file's examples to share one task (an Error naming the file otherwise).
  FileEvaluation evaluate(const model::CausalLm& model, size_t index,
                          const std::function<void(const std::vector<int32_t>&)>& route = {});
  // evaluate() for every file, in order.
  std::vector<FileEvaluation> evaluate_all(const model::CausalLm& model);

  // File `index`'s examples as tokenized, the id rows are padded with, and the options: for
  // passes over the same rows that are not evaluations (eval/grafting.h's gradients).
  const std::vector<TokenizedExample>& tokenized(size_t index) const {
    return files_.at(index).tokenized;
  }
  int32_t pad_id() const { return pad_id_; }
  const FileEvaluationOptions& options() const { return options_; }

 private:
  struct File {
    std::string path;
    std::vector<Example> examples;
    std::vector<TokenizedExample> tokenized;
    bool has_pairs = false;  // any prompt/completion example
  };

  FileEvaluationOptions options_;
  Tokenizer tokenizer_;
  int32_t pad_id_ = 0;
  ExactMatchOptions exact_options_;
  std::vector<File> files_;
};

}  // namespace retune::eval
