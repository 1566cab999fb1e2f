#include "train/ist_schedule.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace retune::train {
namespace {

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// At least one layer, at most all.
int64_t share_of(int64_t layers, double fraction) {
  return std::clamp<int64_t>(
      static_cast<int64_t>(std::floor(fraction * static_cast<double>(layers))), 1, layers);
}

}  // namespace

std::vector<int64_t> draw_without_replacement(const std::vector<double>& weights, int64_t count,
                                              uint64_t seed) {
  RETUNE_CHECK(count >= 0 && count <= std::ssize(weights), "cannot draw {} of {} items", count,
               weights.size());
  Rng rng(seed);
  std::vector<double> left = weights;
  std::vector<int64_t> drawn;
  for (int64_t k = 0; k < count; ++k) {
    const double total = std::accumulate(left.begin(), left.end(), 0.0);
    double target = rng.uniform() * total;
    size_t chosen = 0;
    for (size_t i = 0; i < left.size(); ++i) {
      if (left[i] <= 0) continue;
      chosen = i;
      if (target < left[i]) break;
      target -= left[i];
    }
    drawn.push_back(static_cast<int64_t>(chosen));
    left[chosen] = 0;
  }
  std::sort(drawn.begin(), drawn.end());
  return drawn;
}

IstSchedule::IstSchedule(int64_t layers, const IstOptions& options)
    : layers_(layers), options_(options), scores_(static_cast<size_t>(layers), 0.0) {
  RETUNE_CHECK(layers >= 1, "IST needs a model with layers");
  RETUNE_CHECK(options.every >= 1 && options.trials >= 1,
               "ist.every and ist.trials must be >= 1, got {} and {}", options.every,
               options.trials);
  for (const double fraction : {options.active_fraction, options.suppressed_fraction}) {
    RETUNE_CHECK(fraction > 0 && fraction <= 1, "IST's fractions must be in (0, 1], got {}",
                 fraction);
  }
}

std::vector<double> IstSchedule::update_scores(
    int64_t step, const std::function<double(const std::vector<int64_t>&)>& loss_with) {
  if (step % options_.every != 0) return {};
  std::vector<double> weights(scores_.size());
  for (size_t i = 0; i < scores_.size(); ++i) weights[i] = sigmoid(scores_[i]);
  const int64_t suppressed = share_of(layers_, options_.suppressed_fraction);
  Rng seeds(options_.seed ^ mix64(static_cast<uint64_t>(step) * 2 + 1));
  std::vector<std::vector<int64_t>> sets;
  std::vector<double> losses;
  for (int64_t k = 0; k < options_.trials; ++k) {
    sets.push_back(draw_without_replacement(weights, suppressed, seeds.next_u64()));
    losses.push_back(loss_with(sets.back()));
  }
  double mean = 0;
  for (const double loss : losses) mean += std::exp(-loss);
  mean /= static_cast<double>(losses.size());
  for (size_t k = 0; k < sets.size(); ++k) {
    const double reward = std::exp(-losses[k]) - mean;
    for (const int64_t i : sets[k]) {
      const double s = sigmoid(scores_[static_cast<size_t>(i)]);
      scores_[static_cast<size_t>(i)] += options_.reward_scale * reward * s * (1 - s);
    }
  }
  return losses;
}

std::vector<int64_t> IstSchedule::active_layers(int64_t step) const {
  std::vector<double> weights(scores_.size());
  for (size_t i = 0; i < scores_.size(); ++i) weights[i] = sigmoid(-scores_[i]);
  return draw_without_replacement(weights, share_of(layers_, options_.active_fraction),
                                  options_.seed ^ mix64(static_cast<uint64_t>(step) * 2));
}

void IstSchedule::set_scores(std::vector<double> scores) {
  RETUNE_CHECK(std::ssize(scores) == layers_, "{} IST scores for {} layers", scores.size(),
               layers_);
  scores_ = std::move(scores);
}

}  // namespace retune::train
