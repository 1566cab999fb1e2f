#include "continual/cl_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/error.h"

namespace retune::continual {
namespace {

void check_accuracies(const std::vector<double>& accuracies, size_t tasks, std::string_view what) {
  RETUNE_CHECK(accuracies.size() == tasks, "{}: {} values, expected one per task ({})", what,
               accuracies.size(), tasks);
  for (size_t j = 0; j < accuracies.size(); ++j) {
    RETUNE_CHECK(std::isfinite(accuracies[j]), "{}: accuracy on task {} is {}, expected a number",
                 what, j, accuracies[j]);
  }
}

// T, once R is checked to be T rows of T finite accuracies with T ≥ 1.
size_t task_count(const AccuracyMatrix& r) {
  RETUNE_CHECK(!r.empty(), "accuracy matrix is empty, expected a row per task");
  for (size_t i = 0; i < r.size(); ++i) {
    check_accuracies(r[i], r.size(), fmt::format("accuracy matrix row {}", i));
  }
  return r.size();
}

void check_curves(const std::vector<std::vector<EvaluationPoint>>& curves, size_t tasks) {
  RETUNE_CHECK(curves.size() == tasks, "{} evaluation curves, expected one per task ({})",
               curves.size(), tasks);
  for (size_t i = 0; i < curves.size(); ++i) {
    for (const EvaluationPoint& point : curves[i]) {
      check_accuracies(point.accuracy, tasks,
                       fmt::format("evaluation at step {} of task {}", point.step, i));
    }
  }
}

// The mean of f(j) over j in [first, last).
template <typename Term>
double mean_over(size_t first, size_t last, Term term) {
  double sum = 0;
  for (size_t j = first; j < last; ++j) sum += term(j);
  return sum / static_cast<double>(last - first);
}

}  // namespace

double average_accuracy(const AccuracyMatrix& r) {
  const size_t t = task_count(r);
  return mean_over(0, t, [&](size_t j) { return r[t - 1][j]; });
}

std::optional<double> average_forgetting(const AccuracyMatrix& r) {
  const size_t t = task_count(r);
  if (t < 2) return std::nullopt;
  return mean_over(0, t - 1, [&](size_t j) {
    double best = r[j][j];
    for (size_t k = j + 1; k + 1 < t; ++k) best = std::max(best, r[k][j]);
    return best - r[t - 1][j];
  });
}

std::optional<double> backward_transfer(const AccuracyMatrix& r) {
  const size_t t = task_count(r);
  if (t < 2) return std::nullopt;
  return mean_over(0, t - 1, [&](size_t j) { return r[t - 1][j] - r[j][j]; });
}

std::optional<double> forward_transfer(const AccuracyMatrix& r,
                                       const std::vector<double>& starting_accuracy) {
  const size_t t = task_count(r);
  check_accuracies(starting_accuracy, t, "starting accuracies");
  if (t < 2) return std::nullopt;
  return mean_over(1, t, [&](size_t j) { return r[j - 1][j] - starting_accuracy[j]; });
}

SequenceMetrics sequence_metrics(const AccuracyMatrix& r,
                                 const std::vector<double>& starting_accuracy) {
  return {average_accuracy(r), average_forgetting(r), backward_transfer(r),
          forward_transfer(r, starting_accuracy)};
}

std::optional<double> min_accuracy(const AccuracyMatrix& r,
                                   const std::vector<std::vector<EvaluationPoint>>& curves,
                                   int64_t k) {
  const size_t t = task_count(r);
  check_curves(curves, t);
  RETUNE_CHECK(0 <= k && k < static_cast<int64_t>(t), "task {} is outside 0..{}", k, t - 1);
  const size_t last = static_cast<size_t>(k);
  if (last == 0) return std::nullopt;
  return mean_over(0, last, [&](size_t j) {
    double lowest = r[j + 1][j];
    for (size_t i = j + 1; i <= last; ++i) {
      lowest = std::min(lowest, r[i][j]);
      for (const EvaluationPoint& point : curves[i]) lowest = std::min(lowest, point.accuracy[j]);
    }
    return lowest;
  });
}

double worst_case_accuracy(const AccuracyMatrix& r,
                           const std::vector<std::vector<EvaluationPoint>>& curves, int64_t k) {
  const std::optional<double> min_acc = min_accuracy(r, curves, k);
  if (!min_acc) return r[0][0];
  const double weight = 1.0 / static_cast<double>(k + 1);
  return weight * r[k][k] + (1 - weight) * *min_acc;
}

}  // namespace retune::continual
