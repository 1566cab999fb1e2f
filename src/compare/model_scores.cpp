#include "compare/model_scores.h"

namespace retune::compare {
namespace {

std::vector<std::string> scored_files(const CompareConfig& config) {
  std::vector<std::string> files;
  for (const auto& file : config.new_task) files.push_back(file.string());
  for (const auto& file : config.retain) files.push_back(file.string());
  return files;
}

eval::FileEvaluationOptions scoring_options(const train::TrainConfig& base) {
  return {.chat_template = base.data.chat_template,
          .train_on_all = base.data.train_on_all,
          .seq_len = base.data.seq_len,
          .batch_size = base.training.batch_size};
}

}  // namespace

std::optional<double> ModelScores::mean_accuracy(bool new_task) const {
  double sum = 0;
  int count = 0;
  for (const FileScore& f : files) {
    if (f.new_task != new_task || !f.accuracy) continue;
    sum += *f.accuracy;
    ++count;
  }
  return count > 0 ? std::optional(sum / count) : std::nullopt;
}

std::optional<double> ModelScores::mean_loss(bool new_task) const {
  double sum = 0;
  int count = 0;
  for (const FileScore& f : files) {
    if (f.new_task != new_task) continue;
    sum += f.loss;
    ++count;
  }
  return count > 0 ? std::optional(sum / count) : std::nullopt;
}

ModelScorer::ModelScorer(const CompareConfig& config)
    : new_task_files_(config.new_task.size()),
      files_(config.base.tokenizer.value_or(config.base.model), config.base.model,
             scored_files(config), scoring_options(config.base)) {}

ModelScores ModelScorer::score(const model::CausalLm& model) {
  ModelScores scores;
  for (size_t i = 0; i < files_.size(); ++i) {
    const eval::FileEvaluation e = files_.evaluate(model, i);
    scores.files.push_back(
        {.file = e.file,
         .new_task = i < new_task_files_,
         .examples = e.examples,
         .loss = e.loss.loss,
         .accuracy = e.exact ? std::optional(e.exact->accuracy()) : std::nullopt});
  }
  return scores;
}

}  // namespace retune::compare
