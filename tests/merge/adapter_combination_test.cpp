// The parts of the adapter merges that PEFT's fixtures cannot pin down: dare's random drops
// (torch.bernoulli's stream is not retune's) checked statistically and for reproducibility, the
// sign election on a hand-made case, torch.quantile's interpolation and the svd clamp.
#include "merge/adapter_combination.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/random_tensor.h"
#include "merge/adapter_task_merge.h"

namespace retune::merge {
namespace {

// DARE keeps about density of the entries, each divided by density: for n = 20000 entries at
// density 0.3 the kept fraction is within 5 standard deviations (0.016) of 0.3.
TEST(AdapterTaskMerge, DareKeepsDensityAndRescales) {
  const size_t n = 20000;
  const double density = 0.3;
  std::vector<std::vector<float>> tasks = {std::vector<float>(n, 2.0f)};
  const std::vector<double> weights = {1.0};
  const std::vector<uint64_t> seeds = {7};
  const std::vector<float> merged = merge_task_tensors(
      tasks, weights, seeds, {.sparsification = Sparsification::random, .density = density});
  size_t kept = 0;
  for (float v : merged) {
    if (v == 0) continue;
    ++kept;
    EXPECT_FLOAT_EQ(v, 2.0f / static_cast<float>(density));
  }
  const double fraction = static_cast<double>(kept) / n;
  EXPECT_NEAR(fraction, density, 5 * std::sqrt(density * (1 - density) / n));
}

// PEFT's election on the sparsified, unweighted tensors: entries 3, -1, -1 elect + by their
// total and - by their signs' count; the agreeing ones are averaged with their weights.
TEST(AdapterTaskMerge, TiesElectsByTotalOrFrequency) {
  const std::vector<double> weights = {0.5, 1.0, 2.0};
  const std::vector<uint64_t> seeds = {0, 0, 0};
  for (const MajoritySign sign : {MajoritySign::total, MajoritySign::frequency}) {
    std::vector<std::vector<float>> tasks = {{3.0f, 0.0f}, {-1.0f, 0.0f}, {-1.0f, 0.0f}};
    const std::vector<float> merged =
        merge_task_tensors(tasks, weights, seeds, {.ties = true, .majority_sign = sign});
    EXPECT_FLOAT_EQ(merged[0], sign == MajoritySign::total ? 1.5f : -1.5f);
    EXPECT_EQ(merged[1], 0.0f);  // zeros agree with no sign
  }
}

std::vector<LoraFactors> two_adapters() {
  return {{normal_tensor({3, 12}, 1, 0, 1), normal_tensor({10, 3}, 2, 0, 1), 2.0, 0.7},
          {normal_tensor({3, 12}, 3, 0, 1), normal_tensor({10, 3}, 4, 0, 1), 0.5, -0.4}};
}

// The same seed draws the same masks; another seed others.
TEST(AdapterCombination, DareIsReproducibleBySeed) {
  for (const AdapterCombination c : {AdapterCombination::dare_linear, AdapterCombination::dare_ties,
                                     AdapterCombination::dare_ties_svd}) {
    const CombinationOptions options{.combination = c, .density = 0.5};
    const auto first = combine_lora_module(two_adapters(), 3, options, 11, "m");
    const auto again = combine_lora_module(two_adapters(), 3, options, 11, "m");
    const auto other = combine_lora_module(two_adapters(), 3, options, 12, "m");
    EXPECT_EQ(first.a.to_f32_vector(), again.a.to_f32_vector());
    EXPECT_EQ(first.b.to_f32_vector(), again.b.to_f32_vector());
    EXPECT_NE(first.b.to_f32_vector(), other.b.to_f32_vector());
  }
}

TEST(AdapterCombination, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(linear_quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(linear_quantile({4, 1, 3, 2}, 0.9), 3.7);
  EXPECT_DOUBLE_EQ(linear_quantile({4, 1, 3, 2}, 1.0), 4.0);
}

// svd_clamp q clamps both factors to [-h, h], h the q-quantile of all their entries.
TEST(AdapterCombination, SvdClampClampsToTheQuantile) {
  CombinationOptions options{.combination = AdapterCombination::svd};
  const auto plain = combine_lora_module(two_adapters(), 3, options, 0, "m");
  options.svd_clamp = 0.8;
  const auto clamped = combine_lora_module(two_adapters(), 3, options, 0, "m");
  std::vector<double> entries;
  for (const Tensor* t : {&plain.b, &plain.a}) {
    for (float v : t->to_f32_vector()) entries.push_back(v);
  }
  const double high = linear_quantile(entries, 0.8);
  for (const auto& [before, after] : {std::pair{&plain.a, &clamped.a}, {&plain.b, &clamped.b}}) {
    const std::vector<float> x = before->to_f32_vector(), y = after->to_f32_vector();
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(y[i], std::clamp<double>(x[i], -high, high), 1e-6);
    }
  }
}

// An svd rank above min(out, in) is refused, naming the module.
TEST(AdapterCombination, SvdRankAboveTheModulesSizeIsAnError) {
  try {
    combine_lora_module(two_adapters(), 11, {.combination = AdapterCombination::svd}, 0, "q_proj");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "q_proj: rank 11 exceeds the module's min(out, in) = min(10, 12); choose a lower "
                 "--svd-rank");
  }
}

}  // namespace
}  // namespace retune::merge
