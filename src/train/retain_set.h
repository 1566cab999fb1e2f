// RetainSet: the data.retain files of a training run — what the model should keep knowing —
// evaluated on the base model before the first step and again at every evaluation. Each file's
// forgetting is the rise of its mean token loss over the base model's (eval/loss_evaluation.h);
// with exact match on, its prompt/completion examples are also scored by greedy completion
// (eval/exact_match.h) and the fall of that accuracy from the base's is reported beside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "data/dataset_file.h"
#include "data/tokenized_example.h"
#include "eval/exact_match.h"
#include "model/causal_lm.h"
#include "tokenizer/tokenizer.h"

namespace retune::train {

// A data.retain file's loss (and accuracy, when scored) on the base model and at the latest
// evaluation.
struct RetainResult {
  std::filesystem::path file;
  double base_loss = 0;
  double last_loss = 0;
  std::optional<double> base_accuracy;  // exact match, when scored
  std::optional<double> last_accuracy;
  double forgetting() const { return last_loss - base_loss; }
};

class RetainSet {
 public:
  // `examples[i]` are file i's; `exact_match` scores their prompt/completion examples at every
  // evaluation (none: losses only). The tokenizer must outlive the set.
  RetainSet(const std::vector<std::filesystem::path>& files,
            std::vector<std::vector<Example>> examples, Tokenizer& tokenizer,
            const TokenizeOptions& tokenize, std::optional<eval::ExactMatchOptions> exact_match);

  bool empty() const { return results_.empty(); }
  // Every file's examples as tokenized for the loss, in file order (EWC's Fisher data, replay).
  std::vector<TokenizedExample> all_tokens() const;

  // The base model's losses and accuracies (-1: not scored), from the first evaluation (a fresh
  // run) or a checkpoint (a resumed one) as {"losses": [...], "accuracies": [...]}.
  nlohmann::json base_state() const;
  void set_base_state(const nlohmann::json& state);

  // Evaluates every file: {file: {"loss", "perplexity", "forgetting"[, "accuracy",
  // "accuracy_drop"]}}. The first evaluation of a run without a base state sets it.
  nlohmann::json evaluate(const model::CausalLm& model, int64_t seq_len, int64_t batch_size,
                          int32_t pad_id);
  const std::vector<RetainResult>& results() const { return results_; }
  // The file whose loss rose the most at the latest evaluation.
  const RetainResult& most_forgotten() const;

 private:
  std::vector<RetainResult> results_;
  std::vector<std::vector<Example>> examples_;
  std::vector<std::vector<TokenizedExample>> tokens_;
  Tokenizer& tokenizer_;
  std::optional<eval::ExactMatchOptions> exact_match_;
  bool has_base_ = false;
};

}  // namespace retune::train
