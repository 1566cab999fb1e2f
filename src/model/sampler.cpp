#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace retune::model {
namespace {

constexpr float kFiltered = -std::numeric_limits<float>::infinity();

// The softmax of a row of logits, in double: prob = weight / sum, weight = exp(logit - max).
class Softmax {
 public:
  explicit Softmax(std::span<const float> logits)
      : max_(*std::max_element(logits.begin(), logits.end())) {
    for (const float logit : logits) sum_ += weight(logit);
  }

  double max() const { return max_; }
  double sum() const { return sum_; }
  double weight(float logit) const { return std::exp(static_cast<double>(logit) - max_); }
  double prob(float logit) const { return weight(logit) / sum_; }

 private:
  double max_;
  double sum_ = 0;
};

// TopKLogitsWarper: removes the logits below the k-th largest (0 < k < V).
void keep_top_k(int64_t k, std::span<float> logits, std::vector<int32_t>& order) {
  const auto kth = order.begin() + (k - 1);
  std::nth_element(order.begin(), kth, order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  const float threshold = logits[*kth];
  for (float& logit : logits) {
    if (logit < threshold) logit = kFiltered;
  }
}

// TopPLogitsWarper: in ascending order, removes the tokens whose cumulative probability is
// <= 1 - top_p, except the last.
void keep_top_p(double top_p, std::span<float> logits, std::vector<int32_t>& order) {
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] < logits[b] || (logits[a] == logits[b] && a < b);
  });
  const Softmax softmax(logits);
  const auto threshold = static_cast<float>(1.0 - top_p);
  double cumulative = 0;
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    float& logit = logits[order[i]];
    cumulative += softmax.prob(logit);
    if (static_cast<float>(cumulative) > threshold) break;  // the sum only grows from here
    logit = kFiltered;
  }
}

// MinPLogitsWarper: removes the tokens whose probability is below min_p times the largest.
void keep_min_p(double min_p, std::span<float> logits) {
  const Softmax softmax(logits);
  const float threshold = static_cast<float>(min_p) * static_cast<float>(1.0 / softmax.sum());
  for (float& logit : logits) {
    if (static_cast<float>(softmax.prob(logit)) < threshold) logit = kFiltered;
  }
}

}  // namespace

void validate_sampling_options(const SamplingOptions& options) {
  if (!options.do_sample) return;
  if (!(options.temperature > 0)) fail("temperature must be > 0, got {}", options.temperature);
  if (options.top_k < 0) fail("top_k must be >= 0, got {}", options.top_k);
  if (!(options.top_p >= 0 && options.top_p <= 1)) {
    fail("top_p must be in [0, 1], got {}", options.top_p);
  }
  if (!(options.min_p >= 0 && options.min_p <= 1)) {
    fail("min_p must be in [0, 1], got {}", options.min_p);
  }
}

void apply_warpers(const SamplingOptions& options, std::span<float> logits,
                   std::vector<int32_t>& order) {
  if (options.temperature != 1.0) {
    for (float& logit : logits) logit = static_cast<float>(logit / options.temperature);
  }
  order.resize(logits.size());
  std::iota(order.begin(), order.end(), 0);
  if (options.top_k > 0 && options.top_k < static_cast<int64_t>(logits.size())) {
    keep_top_k(options.top_k, logits, order);
  }
  if (options.top_p < 1.0) keep_top_p(options.top_p, logits, order);
  if (options.min_p > 0.0) keep_min_p(options.min_p, logits);
}

Sampler::Sampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
  validate_sampling_options(options);
}

int32_t Sampler::next(std::span<const float> logits) {
  RETUNE_CHECK(!logits.empty(), "sampler: the logits are empty");
  const auto nan =
      std::find_if(logits.begin(), logits.end(), [](float x) { return std::isnan(x); });
  if (nan != logits.end()) fail("sampler: logit {} is NaN", nan - logits.begin());
  if (!options_.do_sample) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }

  warped_.assign(logits.begin(), logits.end());
  apply_warpers(options_, warped_, order_);
  const Softmax softmax(warped_);
  if (!std::isfinite(softmax.max())) {
    fail("sampler: cannot sample, the largest logit after the warpers is {}", softmax.max());
  }
  // Inverse CDF: the first token whose cumulative weight exceeds u * sum.
  const double target = rng_.uniform() * softmax.sum();
  double cumulative = 0;
  int32_t last = 0;  // the last token of non-zero weight, in case rounding leaves target >= sum
  for (size_t i = 0; i < warped_.size(); ++i) {
    const double weight = softmax.weight(warped_[i]);
    if (weight == 0) continue;
    cumulative += weight;
    last = static_cast<int32_t>(i);
    if (target < cumulative) break;
  }
  return last;
}

}  // namespace retune::model
