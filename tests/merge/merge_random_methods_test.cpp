// The random methods (DARE, DELLA) and TIES's model-wide trimming, checked statistically and
// exactly where exactness is possible: over the fixture model's 115k entries the kept fraction
// is the density within 4 standard deviations, rescaling keeps the L1 norm (mergekit's) or
// divides by the keep probability (rescale_mode: inverse), DELLA keeps large entries more
// often than small ones, one seed reproduces the output bit for bit and another changes it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/safetensors_model.h"
#include "merge_test_models.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

const std::string kBase = merge_base_model().string();

// A one-model merge of variant a over the base: what each tensor's task vector became.
struct OneModelMerge {
  std::vector<std::string> names;
  std::vector<size_t> columns;  // each tensor's last dimension
  std::vector<std::vector<float>> base, tuned, merged;
};

OneModelMerge merge_one_model(const TempDir& dir, const std::string& method,
                              const std::string& parameters, uint64_t seed = 0,
                              const std::string& global = "") {
  const MergeConfig config =
      config_in(dir / "cfg", "merge_method: " + method + "\nbase_model: " + kBase +
                                 "\nmodels:\n  - model: " + merge_variant("a").string() +
                                 "\n    parameters: {weight: 1.0, " + parameters + "}\n" + global);
  MergeOptions options;
  options.seed = seed;
  run_merge(config, dir / "out", options);
  OneModelMerge out;
  const SafetensorsModel base = SafetensorsModel::open(merge_base_model());
  const SafetensorsModel tuned = SafetensorsModel::open(merge_variant("a"));
  const SafetensorsModel merged = SafetensorsModel::open(dir / "out");
  for (const std::string& name : base.names()) {
    out.names.push_back(name);
    const Shape shape = base.info(name).shape;
    out.columns.push_back(static_cast<size_t>(shape[shape.rank() - 1]));
    out.base.push_back(base.tensor(name).to_f32_vector());
    out.tuned.push_back(tuned.tensor(name).to_f32_vector());
    out.merged.push_back(merged.tensor(name).to_f32_vector());
  }
  return out;
}

// Kept entries over the model / all entries.
double kept_fraction(const OneModelMerge& m) {
  double kept = 0;
  double all = 0;
  for (size_t t = 0; t < m.names.size(); ++t) {
    for (size_t i = 0; i < m.base[t].size(); ++i) {
      kept += m.merged[t][i] != m.base[t][i];
      ++all;
    }
  }
  return kept / all;
}

void expect_fraction(double got, double p, double n) {
  EXPECT_NEAR(got, p, 4 * std::sqrt(p * (1 - p) / n));
}

TEST(MergeRandomMethods, DareKeepsTheDensityAndTheL1Norm) {
  TempDir dir;
  const OneModelMerge m = merge_one_model(dir, "dare_linear", "density: 0.3");
  expect_fraction(kept_fraction(m), 0.3, 115072);
  for (size_t t = 0; t < m.names.size(); ++t) {
    double before = 0;
    double after = 0;
    for (size_t i = 0; i < m.base[t].size(); ++i) {
      before += std::fabs(m.tuned[t][i] - m.base[t][i]);
      after += std::fabs(static_cast<double>(m.merged[t][i]) - m.base[t][i]);
    }
    EXPECT_NEAR(after / before, 1.0, 1e-4) << m.names[t];
  }
}

TEST(MergeRandomMethods, DareInverseRescaleDividesByTheDensity) {
  TempDir dir;
  const OneModelMerge m = merge_one_model(dir, "dare_ties", "density: 0.25", 0,
                                          "parameters: {rescale_mode: inverse}\n");
  expect_fraction(kept_fraction(m), 0.25, 115072);
  for (size_t t = 0; t < m.names.size(); ++t) {
    for (size_t i = 0; i < m.base[t].size(); ++i) {
      if (m.merged[t][i] == m.base[t][i]) continue;
      const float want = m.base[t][i] + (m.tuned[t][i] - m.base[t][i]) / 0.25f;
      ASSERT_NEAR(m.merged[t][i], want, 1e-6 * std::fabs(want) + 1e-7) << m.names[t] << i;
    }
  }
}

TEST(MergeRandomMethods, DellaKeepsLargeEntriesMoreOften) {
  TempDir dir;
  const OneModelMerge m = merge_one_model(dir, "della", "density: 0.5, epsilon: 0.2");
  expect_fraction(kept_fraction(m), 0.5, 115072);
  // Keep probabilities run from 0.3 (smallest in a row) to 0.7 (largest): 0.4 and 0.6 on
  // average over the lower and upper halves of each row by magnitude.
  double small_kept = 0, small = 0, large_kept = 0, large = 0;
  for (size_t t = 0; t < m.names.size(); ++t) {
    const size_t n = m.base[t].size();
    const size_t columns = m.columns[t];
    for (size_t row = 0; row < n / columns; ++row) {
      std::vector<float> magnitudes;
      for (size_t c = 0; c < columns; ++c) {
        magnitudes.push_back(
            std::fabs(m.tuned[t][row * columns + c] - m.base[t][row * columns + c]));
      }
      std::vector<float> sorted = magnitudes;
      std::nth_element(sorted.begin(), sorted.begin() + columns / 2, sorted.end());
      const float median = sorted[columns / 2];
      for (size_t c = 0; c < columns; ++c) {
        const bool kept = m.merged[t][row * columns + c] != m.base[t][row * columns + c];
        if (magnitudes[c] < median) {
          small_kept += kept;
          ++small;
        } else {
          large_kept += kept;
          ++large;
        }
      }
    }
  }
  expect_fraction(small_kept / small, 0.4, small);
  expect_fraction(large_kept / large, 0.6, large);
}

TEST(MergeRandomMethods, ASeedReproducesBitsAndAnotherChangesThem) {
  TempDir one, two, three, four;
  const OneModelMerge a = merge_one_model(one, "dare_ties", "density: 0.4", 7);
  const OneModelMerge b = merge_one_model(two, "dare_ties", "density: 0.4", 7);
  const OneModelMerge c = merge_one_model(three, "dare_ties", "density: 0.4", 8);
  // The config's seed wins over the option.
  const OneModelMerge d =
      merge_one_model(four, "dare_ties", "density: 0.4", 8, "parameters: {seed: 7}\n");
  size_t differ = 0;
  for (size_t t = 0; t < a.names.size(); ++t) {
    EXPECT_EQ(a.merged[t], b.merged[t]) << a.names[t];
    EXPECT_EQ(a.merged[t], d.merged[t]) << a.names[t];
    differ += a.merged[t] != c.merged[t];
  }
  EXPECT_EQ(differ, a.names.size());
}

TEST(MergeRandomMethods, TiesTrimsOverTheWholeModelWithTrimScopeModel) {
  TempDir dir;
  const OneModelMerge m =
      merge_one_model(dir, "ties", "density: 0.2", 0, "parameters: {trim_scope: model}\n");
  // Exactly int(0.2 n) entries kept (no ties in |δ|), and every kept |δ| above every dropped.
  size_t kept = 0;
  size_t all = 0;
  float smallest_kept = INFINITY;
  float largest_dropped = 0;
  bool uneven = false;
  for (size_t t = 0; t < m.names.size(); ++t) {
    size_t kept_here = 0;
    for (size_t i = 0; i < m.base[t].size(); ++i) {
      const float delta = std::fabs(m.tuned[t][i] - m.base[t][i]);
      if (m.merged[t][i] != m.base[t][i]) {
        ++kept_here;
        smallest_kept = std::min(smallest_kept, delta);
      } else {
        largest_dropped = std::max(largest_dropped, delta);
      }
    }
    uneven |= kept_here != static_cast<size_t>(0.2 * static_cast<double>(m.base[t].size()));
    kept += kept_here;
    all += m.base[t].size();
  }
  EXPECT_EQ(kept, static_cast<size_t>(0.2 * static_cast<double>(all)));
  EXPECT_GT(smallest_kept, largest_dropped);
  // Unlike per-tensor trimming, tensors keep different shares.
  EXPECT_TRUE(uneven);
}

}  // namespace
}  // namespace retune::merge
