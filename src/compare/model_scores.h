// Scoring the base and every method's model on a comparison's files, the same way for each: the
// new-task files and the retain files, each example's mean token loss (eval/loss_evaluation.h)
// and, for prompt/completion examples, the exact match of greedy completions (answers stripped).
// Rows are data.seq_len tokens and batches training.batch_size rows, as the base config says;
// data.chat_template and data.train_on_all apply, and each file's format is detected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compare/compare_config.h"
#include "eval/file_evaluation.h"
#include "model/causal_lm.h"

namespace retune::compare {

struct FileScore {
  std::string file;
  bool new_task = false;  // a new-task file, else a retain file
  int64_t examples = 0;
  double loss = 0;                 // mean over the scored tokens
  std::optional<double> accuracy;  // exact match; files with prompt/completion pairs only
};

// One model's scores: per file, and means over files (accuracy over the files that have one).
struct ModelScores {
  std::vector<FileScore> files;

  std::optional<double> new_task_accuracy() const { return mean_accuracy(true); }
  std::optional<double> new_task_loss() const { return mean_loss(true); }
  std::optional<double> retained_accuracy() const { return mean_accuracy(false); }
  std::optional<double> retain_loss() const { return mean_loss(false); }

 private:
  std::optional<double> mean_accuracy(bool new_task) const;
  std::optional<double> mean_loss(bool new_task) const;
};

class ModelScorer {
 public:
  // Reads and tokenizes the config's new-task and retain files with the base's tokenizer: a bad
  // line fails here, before any training.
  explicit ModelScorer(const CompareConfig& config);

  ModelScores score(const model::CausalLm& model);

 private:
  size_t new_task_files_;
  eval::EvaluationFiles files_;
};

}  // namespace retune::compare
