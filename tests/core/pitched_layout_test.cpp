// pitched_layout: which strided views are evenly spaced runs, and the runs a copy between two
// views of one shape can take at once.
#include "core/pitched_layout.h"

#include <gtest/gtest.h>

#include <vector>

namespace retune {
namespace {

void expect_layout(const std::optional<PitchedLayout>& got, int64_t rows, int64_t run,
                   int64_t pitch) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->rows, rows);
  EXPECT_EQ(got->run, run);
  EXPECT_EQ(got->pitch, pitch);
}

TEST(PitchedLayout, ContiguousViewsAreOneRun) {
  const std::vector<int64_t> strides{12, 4, 1};
  expect_layout(pitched_layout({2, 3, 4}, strides, 0), 1, 24, 24);
  // Split further in, the same view is rows of the inner dims.
  expect_layout(pitched_layout({2, 3, 4}, strides, 2), 6, 4, 4);
  expect_layout(pitched_layout({2, 3, 4}, strides, 1), 2, 12, 12);
}

TEST(PitchedLayout, SlicesOfOneDimAreEvenlySpacedRows) {
  // Columns [2, 4) of a [4, 6] matrix: 4 runs of 2, 6 apart.
  const std::vector<int64_t> columns{6, 1};
  EXPECT_FALSE(pitched_layout({4, 2}, columns, 0));
  expect_layout(pitched_layout({4, 2}, columns, 1), 4, 2, 6);
  // Rows [1, 3) of each item of a [2, 5, 3] cache: 2 runs of 6, 15 apart.
  const std::vector<int64_t> cache{15, 3, 1};
  expect_layout(pitched_layout({2, 2, 3}, cache, 1), 2, 6, 15);
  EXPECT_FALSE(pitched_layout({2, 2, 3}, cache, 0));
  // Size-1 dims are ignored.
  const std::vector<int64_t> with_ones{99, 6, 1, 1};
  expect_layout(pitched_layout({1, 4, 1, 2}, std::vector<int64_t>{99, 6, 7, 1}, 2), 4, 2, 6);
  expect_layout(pitched_layout({1, 4, 2, 1}, with_ones, 2), 4, 2, 6);
}

TEST(PitchedLayout, OtherViewsAreRefused) {
  // A transposed matrix, and a slice of two dims (rows not evenly spaced).
  EXPECT_FALSE(pitched_layout({3, 2}, std::vector<int64_t>{1, 3}, 0));
  EXPECT_FALSE(pitched_layout({3, 2}, std::vector<int64_t>{1, 3}, 1));
  EXPECT_FALSE(pitched_layout({3, 2}, std::vector<int64_t>{1, 3}, 2));
  const std::vector<int64_t> two_dims{30, 6, 1};  // [2, 3, 2] of a [2, 5, 6]
  EXPECT_FALSE(pitched_layout({2, 3, 2}, two_dims, 2));
  EXPECT_FALSE(pitched_layout({2, 3, 2}, two_dims, 1));
}

TEST(PitchedLayout, CommonLayoutTakesTheLongestRunsBoth) {
  // A contiguous [4, 2] source into columns [2, 4) of a [4, 6]: rows of 2.
  const auto both =
      common_pitched_layout({4, 2}, std::vector<int64_t>{6, 1}, std::vector<int64_t>{2, 1});
  ASSERT_TRUE(both);
  expect_layout(both->first, 4, 2, 6);
  expect_layout(both->second, 4, 2, 2);
  // Two contiguous views: one run.
  const auto whole =
      common_pitched_layout({4, 2}, std::vector<int64_t>{2, 1}, std::vector<int64_t>{2, 1});
  ASSERT_TRUE(whole);
  expect_layout(whole->first, 1, 8, 8);
  EXPECT_FALSE(
      common_pitched_layout({3, 2}, std::vector<int64_t>{2, 1}, std::vector<int64_t>{1, 3}));
}

}  // namespace
}  // namespace retune
