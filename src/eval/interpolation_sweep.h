// The WiSE-FT trade-off curve: for each α of a list, the model interpolated between its base and
// its tuned end (eval/weight_interpolation.h) is scored on the new task's data files and on
// retain files of what the base knew (eval/file_evaluation.h), and the α that learned the new
// task best while forgetting at most a budget can be picked.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "eval/file_evaluation.h"
#include "eval/weight_interpolation.h"

namespace retune::eval {

struct SweepPoint {
  double alpha = 0;
  std::vector<FileEvaluation> data;    // the new task's files, in order
  std::vector<FileEvaluation> retain;  // the retain files, in order
};

// The mean of the files' losses (each file counts once; 0 for no file).
double mean_loss(const std::vector<FileEvaluation>& files);
// The mean of the exact-match accuracies of the files that have one; nullopt when none has.
std::optional<double> mean_accuracy(const std::vector<FileEvaluation>& files);

// One α ("0.25"). Throws an Error naming the text when it is not a number or is outside
// [0, 1].
double parse_alpha(std::string_view text);
// "0,0.25,0.5": α values separated by commas, each as parse_alpha reads it.
std::vector<double> parse_alpha_list(std::string_view text);

// Scores the model at each α in order; `on_point` (optional) sees each point when it is done.
std::vector<SweepPoint> sweep_interpolation(
    const WeightInterpolation& interpolation, const std::vector<double>& alphas,
    EvaluationFiles& data, EvaluationFiles& retain,
    const std::function<void(const SweepPoint&)>& on_point = {});

// The index of the best point among those whose mean retain loss is at most `retain_budget`
// above that of the point with α = 0: the highest mean new-task accuracy (ties: the lower mean
// new-task loss), or the lowest mean new-task loss when no data file has an accuracy. Throws
// when no point has α = 0. (The α = 0 point is always within the budget.)
size_t best_within_retain_budget(const std::vector<SweepPoint>& points, double retain_budget);

}  // namespace retune::eval
