#include "model/sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "core/rng.h"
#include "support/error_of.h"

namespace retune::model {
namespace {

using testing::ElementsAre;

constexpr float kInf = std::numeric_limits<float>::infinity();

// Logits whose softmax is `probs` (to float precision).
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (const double prob : probs) logits.push_back(static_cast<float>(std::log(prob)));
  return logits;
}

std::vector<float> warped(const SamplingOptions& options, std::vector<float> logits) {
  std::vector<int32_t> order;
  apply_warpers(options, logits, order);
  return logits;
}

// The indices the warpers keep (those not set to -inf).
std::vector<int32_t> kept(const SamplingOptions& options, const std::vector<float>& logits) {
  const std::vector<float> result = warped(options, logits);
  std::vector<int32_t> indices;
  for (size_t i = 0; i < result.size(); ++i) {
    if (result[i] != -kInf) indices.push_back(static_cast<int32_t>(i));
  }
  return indices;
}

SamplingOptions sampling(uint64_t seed = 0) {
  return {.do_sample = true, .seed = seed};
}

TEST(Sampler, GreedyPicksTheFirstMaximumAndIgnoresSamplingOptions) {
  Sampler sampler({.temperature = 0, .top_k = -1});  // unchecked without do_sample
  const std::vector<float> logits = {1, 5, 2, 5, -kInf};
  EXPECT_EQ(sampler.next(logits), 1);
  EXPECT_EQ(sampler.next(logits), 1);
}

TEST(Sampler, TemperatureDividesTheLogits) {
  EXPECT_THAT(warped({.temperature = 2}, {1, 2, -4}), ElementsAre(0.5f, 1.0f, -2.0f));
  EXPECT_THAT(warped({.temperature = 0.5}, {1, 2, -4}), ElementsAre(2.0f, 4.0f, -8.0f));
}

TEST(Sampler, TopKKeepsTiesAtTheBoundaryAndClampsToTheVocabulary) {
  const std::vector<float> logits = {1, 3, 2, 3, 2, 0};
  EXPECT_THAT(kept({.top_k = 1}, logits), ElementsAre(1, 3));
  EXPECT_THAT(kept({.top_k = 2}, logits), ElementsAre(1, 3));
  EXPECT_THAT(kept({.top_k = 3}, logits), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(kept({.top_k = 5}, logits), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(kept({.top_k = 100}, logits), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(kept({.top_k = 0}, logits), ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST(Sampler, TopPBoundaries) {
  // Ascending: 0.2 (cumulative 0.2), 0.3 (0.5), 0.5 (1.0); a token goes when its cumulative
  // probability is <= 1 - top_p.
  const std::vector<float> logits = logits_of({0.5, 0.3, 0.2});
  EXPECT_THAT(kept({.top_p = 0.5}, logits), ElementsAre(0));         // 0.5 <= 0.5: both go
  EXPECT_THAT(kept({.top_p = 0.51}, logits), ElementsAre(0, 1));     // 0.5 > 0.49
  EXPECT_THAT(kept({.top_p = 0.8}, logits), ElementsAre(0, 1));      // 0.2 <= 0.2
  EXPECT_THAT(kept({.top_p = 0.81}, logits), ElementsAre(0, 1, 2));  // 0.2 > 0.19
  EXPECT_THAT(kept({.top_p = 0.1}, logits), ElementsAre(0));
  EXPECT_THAT(kept({.top_p = 0}, logits), ElementsAre(0));  // always keeps the most likely
  EXPECT_THAT(kept({.top_p = 1}, logits), ElementsAre(0, 1, 2));
}

TEST(Sampler, TopPRemovesEqualLogitsInIndexOrder) {
  // Ten tokens of 0.1: cumulative 0.1 and 0.2 are <= 1 - 0.8, so the first two go.
  const std::vector<float> logits(10, 0.0f);
  EXPECT_THAT(kept({.top_p = 0.8}, logits), ElementsAre(2, 3, 4, 5, 6, 7, 8, 9));
}

TEST(Sampler, MinPKeepsTokensAtLeastMinPTimesTheLargest) {
  const std::vector<float> logits = logits_of({0.5, 0.3, 0.2});
  EXPECT_THAT(kept({.min_p = 0.4}, logits), ElementsAre(0, 1, 2));  // 0.2 >= 0.4 * 0.5
  EXPECT_THAT(kept({.min_p = 0.5}, logits), ElementsAre(0, 1));     // 0.2 < 0.25
  EXPECT_THAT(kept({.min_p = 0.61}, logits), ElementsAre(0));       // 0.3 < 0.305
  EXPECT_THAT(kept({.min_p = 1}, logits), ElementsAre(0));
}

TEST(Sampler, WarpersApplyInTransformersOrder) {
  const std::vector<float> logits = logits_of({0.5, 0.3, 0.2});
  // top_p alone keeps 0.5 and 0.3 (cumulative 0.2 <= 0.4 < 0.5); after top_k 2 the two left
  // are 0.625 and 0.375, and 0.375 <= 0.4 goes too.
  EXPECT_THAT(kept({.top_p = 0.6}, logits), ElementsAre(0, 1));
  EXPECT_THAT(kept({.top_k = 2, .top_p = 0.6}, logits), ElementsAre(0));
  // min_p alone keeps all (0.2 >= 0.15); after temperature 0.5 the probabilities are
  // 0.658, 0.237, 0.105, and 0.105 < 0.3 * 0.658 goes.
  EXPECT_THAT(kept({.min_p = 0.3}, logits), ElementsAre(0, 1, 2));
  EXPECT_THAT(kept({.temperature = 0.5, .min_p = 0.3}, logits), ElementsAre(0, 1));
}

TEST(Sampler, TopKOneEqualsGreedy) {
  Rng rng(3);
  Sampler greedy({});
  Sampler top1({.do_sample = true, .top_k = 1, .seed = 11});
  std::vector<float> logits(50);
  for (int row = 0; row < 20; ++row) {
    for (float& logit : logits) logit = static_cast<float>(rng.uniform(-5, 5));
    EXPECT_EQ(top1.next(logits), greedy.next(logits));
  }
}

// `count` tokens drawn from uniform logits over 8 tokens.
std::vector<int32_t> draws(uint64_t seed, int count) {
  Sampler sampler(sampling(seed));
  const std::vector<float> logits(8, 0.0f);
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i) tokens.push_back(sampler.next(logits));
  return tokens;
}

TEST(Sampler, SameSeedReproducesDifferentSeedsDiffer) {
  EXPECT_EQ(draws(42, 100), draws(42, 100));
  EXPECT_NE(draws(42, 100), draws(43, 100));
}

TEST(Sampler, DrawFrequenciesMatchTheProbabilities) {
  const std::vector<double> probs = {0.1, 0.2, 0.3, 0.4};
  const std::vector<float> logits = logits_of(probs);
  Sampler sampler(sampling(7));
  constexpr int kDraws = 20000;
  std::array<int, 4> counts{};
  for (int i = 0; i < kDraws; ++i) ++counts.at(sampler.next(logits));
  for (size_t token = 0; token < probs.size(); ++token) {
    EXPECT_NEAR(static_cast<double>(counts[token]) / kDraws, probs[token], 0.02) << token;
  }
}

TEST(Sampler, NeverDrawsFilteredTokens) {
  Sampler sampler({.do_sample = true, .top_k = 2, .seed = 5});
  const std::vector<float> logits = {0, 1, 0.5f, 1, -kInf};
  for (int i = 0; i < 1000; ++i) EXPECT_THAT(sampler.next(logits), testing::AnyOf(1, 3));
}

TEST(Sampler, RejectsBadOptions) {
  const auto error = [](const SamplingOptions& options) {
    return error_of([&] { Sampler sampler(options); });
  };
  EXPECT_EQ(error({.do_sample = true, .temperature = 0}), "temperature must be > 0, got 0");
  EXPECT_EQ(error({.do_sample = true, .top_k = -1}), "top_k must be >= 0, got -1");
  EXPECT_EQ(error({.do_sample = true, .top_p = 1.5}), "top_p must be in [0, 1], got 1.5");
  EXPECT_EQ(error({.do_sample = true, .min_p = -0.1}), "min_p must be in [0, 1], got -0.1");
}

TEST(Sampler, RejectsNanAndUnsampleableLogits) {
  Sampler greedy({});
  Sampler sampler(sampling());
  const std::vector<float> nan = {0, 1, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(error_of([&] { greedy.next(nan); }), "sampler: logit 2 is NaN");
  EXPECT_EQ(error_of([&] { sampler.next(nan); }), "sampler: logit 2 is NaN");
  EXPECT_EQ(error_of([&] { sampler.next(std::vector<float>(3, -kInf)); }),
            "sampler: cannot sample, the largest logit after the warpers is -inf");
  EXPECT_EQ(error_of([&] { sampler.next({}); }), "sampler: the logits are empty");
}

}  // namespace
}  // namespace retune::model
