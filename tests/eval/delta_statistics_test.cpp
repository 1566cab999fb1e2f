// eval/delta_statistics.h on hand-built deltas with known answers.
#include "eval/delta_statistics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/error_of.h"

namespace retune {
namespace {

using linalg::Matrix;

Matrix filled(int64_t rows, int64_t cols, double value) {
  Matrix m(rows, cols);
  for (double& v : m.values) v = value;
  return m;
}

TEST(DeltaStatistics, RankOneDelta) {
  const Matrix base = filled(4, 3, 1.0);
  Matrix tuned = base;
  // ΔW = u vᵀ with u = (1, 2, 0, 0), v = (3, 0, 4): ‖ΔW‖ = ‖u‖ ‖v‖ = √5 · 5.
  const double u[4] = {1, 2, 0, 0}, v[3] = {3, 0, 4};
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 3; ++j) tuned(i, j) += u[i] * v[j];
  }
  const eval::DeltaStatistics s = eval::delta_statistics("m", base, tuned);
  EXPECT_EQ(s.module, "m");
  EXPECT_EQ(s.rows, 4);
  EXPECT_EQ(s.cols, 3);
  EXPECT_NEAR(s.frobenius, 5 * std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(s.relative, 5 * std::sqrt(5.0) / std::sqrt(12.0), 1e-12);
  ASSERT_EQ(s.singular_values.size(), 3u);
  EXPECT_NEAR(s.singular_values[0], 5 * std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(s.entropy_rank, 1.0, 1e-6);
  EXPECT_EQ(s.numerical_rank, 1);
  // Squares 64, 36, 16, 9 of 125: 64 + 36 + 16 = 116 >= 112.5 (90%), all four for 99%.
  EXPECT_DOUBLE_EQ(s.entries_for_90, 3.0 / 12);
  EXPECT_DOUBLE_EQ(s.entries_for_99, 4.0 / 12);
}

TEST(DeltaStatistics, OneNonzeroEntryNeedsOneEntry) {
  Matrix tuned(5, 6);
  tuned(3, 2) = -2.5;
  const eval::DeltaStatistics s = eval::delta_statistics("m", Matrix(5, 6), tuned);
  EXPECT_DOUBLE_EQ(s.entries_for_90, 1.0 / 30);
  EXPECT_DOUBLE_EQ(s.entries_for_99, 1.0 / 30);
  EXPECT_TRUE(std::isnan(s.relative));  // W0 = 0
  EXPECT_NEAR(s.entropy_rank, 1.0, 1e-6);
}

TEST(DeltaStatistics, EqualSingularValuesGiveTheFullEntropyRank) {
  // ΔW = 2·I (3x3): three equal singular values, every entry needed for 90% of the energy.
  Matrix tuned(3, 3);
  for (int64_t i = 0; i < 3; ++i) tuned(i, i) = 2;
  const eval::DeltaStatistics s = eval::delta_statistics("m", Matrix(3, 3), tuned);
  EXPECT_NEAR(s.entropy_rank, 3.0, 1e-9);
  EXPECT_EQ(s.numerical_rank, 3);
  EXPECT_DOUBLE_EQ(s.entries_for_90, 3.0 / 9);
  EXPECT_DOUBLE_EQ(eval::entries_for_energy(filled(4, 4, 0.1), 0.9), 15.0 / 16);
}

TEST(DeltaStatistics, TinySingularValuesAreNotCountedInTheRank) {
  Matrix tuned(3, 3);
  tuned(0, 0) = 1;
  tuned(1, 1) = 1e-8;
  const eval::DeltaStatistics s = eval::delta_statistics("m", Matrix(3, 3), tuned);
  EXPECT_EQ(s.numerical_rank, 1);
}

TEST(DeltaStatistics, AZeroDeltaHasRankZero) {
  const eval::DeltaStatistics s = eval::delta_statistics("m", filled(2, 2, 1), filled(2, 2, 1));
  EXPECT_EQ(s.frobenius, 0);
  EXPECT_EQ(s.entropy_rank, 0);
  EXPECT_EQ(s.numerical_rank, 0);
  EXPECT_EQ(s.entries_for_90, 0);
}

TEST(DeltaStatistics, ShapesMustAgree) {
  EXPECT_EQ(error_of([] { eval::delta_statistics("m.q", Matrix(2, 3), Matrix(3, 2)); }),
            "m.q: the tuned weight is 3x2 but the base weight 2x3");
}

}  // namespace
}  // namespace retune
