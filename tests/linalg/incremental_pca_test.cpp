// IncrementalPca: PEFT's IncrementalPCA on the fixture streams
// (tests/fixtures/linalg/incremental_pca.safetensors, tools/fixtures/make_linalg_fixtures.py),
// scikit-learn's documented property that a stream gives the PCA of all its rows (exact when the
// data's rank is at most n_components), and the errors.
#include "linalg/incremental_pca.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/random_tensor.h"
#include "linalg_test_util.h"
#include "support/error_of.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using test_util::as_vector;
using test_util::max_abs_difference;
using test_util::relative_max_error;
using ::testing::HasSubstr;

// The state after a partial_fit against PEFT's, stored as f32. Relative errors are
// max |got - want| / max |want| per tensor; components (entries <= 1) compare by max abs.
void expect_peft_state(const IncrementalPca& pca, const SafetensorsFile& fixture,
                       const std::string& prefix, double tolerance) {
  const auto want = [&](const char* field) { return fixture.tensor(prefix + "." + field); };
  EXPECT_EQ(pca.samples_seen(), want("n_samples_seen").data<int64_t>()[0]);
  EXPECT_LE(max_abs_difference(as_matrix(pca.components()), as_matrix(want("components"))),
            tolerance);
  EXPECT_LE(relative_max_error(pca.singular_values(), want("singular_values")), tolerance);
  EXPECT_LE(relative_max_error(pca.explained_variance(), want("explained_variance")), tolerance);
  EXPECT_LE(relative_max_error(pca.explained_variance_ratio(), want("explained_variance_ratio")),
            tolerance);
  EXPECT_LE(relative_max_error(pca.mean(), want("mean")), tolerance);
  EXPECT_LE(relative_max_error(pca.variance(), want("var")), tolerance);
  const double noise = as_vector(want("noise_variance"))[0];
  EXPECT_NEAR(pca.noise_variance(), noise, tolerance * std::max(1.0, std::abs(noise)));
}

struct PeftCase {
  const char* name;
  int64_t n_components;
  int batches;
  IncrementalPcaOptions options;
};

// After every batch against PEFT fed the f32 batches as EVA does (its first SVD runs in float32):
// tolerance 1e-5 (the differences seen are <= 1e-6). After the last batch against PEFT fed
// .double() batches: 3e-7, a few f32 roundings (the reference is stored as f32; the differences
// seen are 0). "lowrank" uses randomized_svd with q = 12 = the feature count, where the
// randomized SVD is exact, so retune's and torch's different random sketches do not matter.
TEST(LinalgIncrementalPca, MatchesPeftIncrementalPca) {
  const SafetensorsFile fixture = test_util::linalg_fixture("incremental_pca.safetensors");
  IncrementalPcaOptions lowrank;
  lowrank.lowrank = true;
  lowrank.lowrank_q = 12;
  lowrank.lowrank_niter = 4;
  lowrank.lowrank_seed = 42;
  for (const PeftCase& c : {PeftCase{"stream", 4, 3, {}}, PeftCase{"few_rows", 3, 3, {}},
                            PeftCase{"lowrank", 6, 3, lowrank}}) {
    SCOPED_TRACE(c.name);
    IncrementalPca pca(c.n_components, c.options);
    for (int b = 0; b < c.batches; ++b) {
      SCOPED_TRACE(b);
      pca.partial_fit(fixture.tensor(std::string(c.name) + ".x" + std::to_string(b)));
      ASSERT_EQ(pca.components().shape(), Shape({c.n_components, 12}));
      expect_peft_state(pca, fixture, std::string(c.name) + ".f32." + std::to_string(b), 1e-5);
    }
    expect_peft_state(pca, fixture, std::string(c.name) + ".f64." + std::to_string(c.batches - 1),
                      3e-7);
  }
}

// Rows [N, F] = mean + (rank-r signal), a seeded stream.
Tensor rank_r_rows(int64_t rows, int64_t features, int64_t rank, uint64_t seed) {
  Matrix m = multiply(as_matrix(normal_tensor({rows, rank}, seed, 0.0, 1.0)),
                      as_matrix(normal_tensor({rank, features}, 1000, 0.0, 1.0)));
  for (int64_t j = 0; j < features; ++j) {
    for (int64_t i = 0; i < rows; ++i) m(i, j) += 0.3 * static_cast<double>(j) - 1.0;
  }
  return to_tensor(m);
}

// The stream's result against the PCA of all rows at once (thin_svd of the centred rows, with
// svd_flip): exact up to rounding when rank <= n_components. Tolerances (double accessors):
// components 1e-9 (max abs), explained variance and ratio 1e-9 relative; the f32 mean 1e-6.
void expect_batch_pca(int64_t features, int64_t rank, int64_t n_components, int64_t batch_rows,
                      int batches) {
  IncrementalPca pca(n_components);
  Matrix all(batch_rows * batches, features);
  for (int b = 0; b < batches; ++b) {
    const Tensor x = rank_r_rows(batch_rows, features, rank, 50 + static_cast<uint64_t>(b));
    pca.partial_fit(x);
    const Matrix m = as_matrix(x);
    for (int64_t j = 0; j < features; ++j) {
      for (int64_t i = 0; i < batch_rows; ++i) all(b * batch_rows + i, j) = m(i, j);
    }
  }
  const auto total = static_cast<double>(all.rows);
  std::vector<double> mean(static_cast<size_t>(features), 0.0);
  double total_variance = 0.0;
  for (int64_t j = 0; j < features; ++j) {
    const auto col = static_cast<size_t>(j);
    for (int64_t i = 0; i < all.rows; ++i) mean[col] += all(i, j) / total;
    for (int64_t i = 0; i < all.rows; ++i) {
      all(i, j) -= mean[col];
      total_variance += all(i, j) * all(i, j);
    }
  }
  SvdF64 svd = thin_svd(all);
  svd_flip_rows(svd.vt);
  const Matrix want = svd.vt.rows_range(0, n_components);
  EXPECT_EQ(pca.samples_seen(), all.rows);
  EXPECT_LE(max_abs_difference(pca.components_f64(), want), 1e-9);
  const std::vector<double> got_mean = as_vector(pca.mean());
  for (int64_t j = 0; j < features; ++j) {
    EXPECT_NEAR(got_mean[static_cast<size_t>(j)], mean[static_cast<size_t>(j)], 1e-6);
  }
  for (int64_t i = 0; i < n_components; ++i) {
    const double s2 = svd.s[static_cast<size_t>(i)] * svd.s[static_cast<size_t>(i)];
    const double variance = s2 / (total - 1.0), ratio = s2 / total_variance;
    EXPECT_NEAR(pca.explained_variance_f64()[static_cast<size_t>(i)], variance, 1e-9 * variance);
    EXPECT_NEAR(pca.explained_variance_ratio_f64()[static_cast<size_t>(i)], ratio, 1e-9 * ratio);
  }
}

TEST(LinalgIncrementalPca, StreamEqualsBatchPcaOfAllRows) {
  {
    SCOPED_TRACE("rank 4 data, 4 components");
    expect_batch_pca(10, 4, 4, 30, 5);
  }
  {
    SCOPED_TRACE("full-rank data, every component");
    expect_batch_pca(8, 8, 8, 12, 4);
  }
}

TEST(LinalgIncrementalPca, LowrankDefaultsAndMatchesTheFullPathOnLowRankData) {
  IncrementalPcaOptions options;
  options.lowrank = true;
  IncrementalPca fast(3, options), full(3);
  EXPECT_EQ(fast.lowrank_q(), 6);
  for (int b = 0; b < 3; ++b) {
    const Tensor x = rank_r_rows(20, 16, 3, 70 + static_cast<uint64_t>(b));
    fast.partial_fit(x);
    full.partial_fit(x);
  }
  EXPECT_LE(max_abs_difference(fast.components_f64(), full.components_f64()), 1e-8);
}

TEST(LinalgIncrementalPca, SvdFlipMakesTheLargestEntryOfEachRowPositive) {
  Matrix vt(3, 3);
  const double rows[3][3] = {{0.6, -0.8, 0.0}, {-0.5, 0.5, 0.1}, {0.0, 0.0, -1.0}};
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 3; ++j) vt(i, j) = rows[i][j];
  }
  svd_flip_rows(vt);
  // Row 0: -0.8 is the largest; row 1: a tie, the first (-0.5) decides; row 2: -1.
  const double want[3][3] = {{-0.6, 0.8, -0.0}, {0.5, -0.5, -0.1}, {-0.0, -0.0, 1.0}};
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(vt(i, j), want[i][j]) << i << ", " << j;
  }
}

TEST(LinalgIncrementalPca, Errors) {
  EXPECT_EQ(error_of([] { IncrementalPca(0); }),
            "IncrementalPca: n_components is 0, expected >= 1");
  IncrementalPcaOptions options;
  options.lowrank_q = 2;
  EXPECT_EQ(error_of([&] { IncrementalPca(3, options); }),
            "IncrementalPca: lowrank_q is 2, expected >= n_components (3) (or 0 for 2 * "
            "n_components)");
  IncrementalPca pca(3);
  EXPECT_EQ(error_of([&] { pca.components(); }), "IncrementalPca::components: no partial_fit yet");
  EXPECT_EQ(error_of([&] {
              pca.partial_fit(Tensor::zeros({2, 12}, DType::f32));
            }),
            "IncrementalPca::partial_fit: x is f32[2, 12] on cpu, expected at least "
            "n_components = 3 rows (PEFT refuses such a batch too; EVA skips it)");
  EXPECT_EQ(error_of([&] {
              pca.partial_fit(Tensor::zeros({5, 2}, DType::f32));
            }),
            "IncrementalPca::partial_fit: x is f32[5, 2] on cpu, expected at least "
            "n_components = 3 features");
  pca.partial_fit(uniform_tensor({5, 4}, 1));
  EXPECT_EQ(error_of([&] {
              pca.partial_fit(uniform_tensor({5, 6}, 2));
            }),
            "IncrementalPca::partial_fit: x is f32[5, 6] on cpu, expected [N, 4] like the first "
            "batch");
  EXPECT_THAT(error_of([&] {
                pca.partial_fit(Tensor::zeros({5, 4}, DType::i32));
              }),
              HasSubstr("expected a 2-D float tensor [N, features]"));
  EXPECT_EQ(pca.samples_seen(), 5);
}

}  // namespace
}  // namespace retune::linalg
