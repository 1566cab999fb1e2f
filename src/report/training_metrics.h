// TrainingMetrics: the series in a training run's metrics.jsonl (written by `retune train`):
// step lines {"step", "loss", "lr", "grad_norm", ...} and evaluation lines {"step",
// "eval_loss"?, "eval_accuracy"?, "retain"?: {FILE: {"loss", "forgetting"?, "accuracy"?}}}
// (an evaluation line has no "loss"). Missing optional values are NaN.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace retune::report {

// One retain file's values at each evaluation that measured it.
struct RetainSeries {
  std::string file;
  std::vector<double> steps;
  std::vector<double> loss;
  std::vector<double> forgetting;
  std::vector<double> accuracy;
};

struct TrainingMetrics {
  // Step lines, in file order: one value each.
  std::vector<double> steps;
  std::vector<double> loss;
  std::vector<double> lr;
  // Evaluation lines, in file order: one value each.
  std::vector<double> eval_steps;
  std::vector<double> eval_loss;
  std::vector<double> eval_accuracy;
  // The retain files in the order they first appear.
  std::vector<RetainSeries> retain;

  // Whether any value of the series is finite (present).
  static bool any_value(const std::vector<double>& series);
};

// Reads metrics.jsonl; throws retune::Error "<path>:<line>: ..." for a line that is not a JSON
// object or lacks "step" or has a field of the wrong type.
TrainingMetrics read_training_metrics(const std::filesystem::path& path);

}  // namespace retune::report
