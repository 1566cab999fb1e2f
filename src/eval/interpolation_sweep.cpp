#include "eval/interpolation_sweep.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <utility>

#include "core/error.h"

namespace retune::eval {

double mean_loss(const std::vector<FileEvaluation>& files) {
  double sum = 0;
  for (const FileEvaluation& file : files) sum += file.loss.loss;
  return files.empty() ? 0 : sum / static_cast<double>(files.size());
}

std::optional<double> mean_accuracy(const std::vector<FileEvaluation>& files) {
  double sum = 0;
  int64_t scored = 0;
  for (const FileEvaluation& file : files) {
    if (!file.exact) continue;
    sum += file.exact->accuracy();
    ++scored;
  }
  if (scored == 0) return std::nullopt;
  return sum / static_cast<double>(scored);
}

double parse_alpha(std::string_view text) {
  double alpha = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), alpha);
  RETUNE_CHECK(!text.empty() && error == std::errc() && end == text.data() + text.size(),
               "alpha \"{}\" is not a number", text);
  RETUNE_CHECK(alpha >= 0 && alpha <= 1, "alpha {} is outside [0, 1]", text);
  return alpha;
}

std::vector<double> parse_alpha_list(std::string_view text) {
  std::vector<double> alphas;
  for (size_t start = 0;;) {
    const size_t comma = std::min(text.find(',', start), text.size());
    alphas.push_back(parse_alpha(text.substr(start, comma - start)));
    if (comma == text.size()) return alphas;
    start = comma + 1;
  }
}

std::vector<SweepPoint> sweep_interpolation(
    const WeightInterpolation& interpolation, const std::vector<double>& alphas,
    EvaluationFiles& data, EvaluationFiles& retain,
    const std::function<void(const SweepPoint&)>& on_point) {
  std::vector<SweepPoint> points;
  for (const double alpha : alphas) {
    const std::unique_ptr<model::CausalLm> model = interpolation.model_at(alpha);
    points.push_back({alpha, data.evaluate_all(*model), retain.evaluate_all(*model)});
    if (on_point) on_point(points.back());
  }
  return points;
}

size_t best_within_retain_budget(const std::vector<SweepPoint>& points, double retain_budget) {
  const auto base = std::find_if(points.begin(), points.end(),
                                 [](const SweepPoint& point) { return point.alpha == 0; });
  RETUNE_CHECK(base != points.end(),
               "the retain budget is measured from alpha 0, which the sweep lacks");
  const double retain_limit = mean_loss(base->retain) + retain_budget;
  // Higher is better: the accuracy first (when there is one), then the lower loss.
  const auto score = [](const SweepPoint& point) {
    return std::make_pair(mean_accuracy(point.data).value_or(0), -mean_loss(point.data));
  };
  size_t best = static_cast<size_t>(base - points.begin());
  for (size_t i = 0; i < points.size(); ++i) {
    if (mean_loss(points[i].retain) <= retain_limit && score(points[i]) > score(points[best])) {
      best = i;
    }
  }
  return best;
}

}  // namespace retune::eval
