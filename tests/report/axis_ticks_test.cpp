// Nice ticks on hand cases: linear steps of 1, 2 or 5 × 10^k enclosing the range, log ticks,
// and the ranges of degenerate data (one value, none, NaN and infinities).
#include "report/axis_ticks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace retune::report {
namespace {

void expect_ticks(const std::vector<double>& ticks, const std::vector<double>& expected) {
  ASSERT_EQ(ticks.size(), expected.size());
  for (size_t i = 0; i < ticks.size(); ++i) EXPECT_NEAR(ticks[i], expected[i], 1e-12) << i;
}

TEST(ReportTicks, LinearTicksAreNiceAndEncloseTheRange) {
  expect_ticks(linear_ticks({0.13, 0.97}), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  expect_ticks(linear_ticks({0, 200}), {0, 50, 100, 150, 200});
  expect_ticks(linear_ticks({0, 10}), {0, 2, 4, 6, 8, 10});
  expect_ticks(linear_ticks({-3.2, 4.1}), {-4, -2, 0, 2, 4, 6});
  expect_ticks(linear_ticks({1.001, 1.004}), {1.001, 1.002, 1.003, 1.004});
  expect_ticks(linear_ticks({0, 1e6}), {0, 2e5, 4e5, 6e5, 8e5, 1e6});
}

TEST(ReportTicks, LogTicksArePowersOfTenAndTwoAndFiveOverShortSpans) {
  expect_ticks(log_ticks({0.3, 20}), {0.2, 0.5, 1, 2, 5, 10, 20});
  expect_ticks(log_ticks({0.3, 4000}), {0.1, 1, 10, 100, 1000, 10000});
  expect_ticks(log_ticks({1, 10}), {1, 2, 5, 10});
}

TEST(ReportTicks, DataRangeIgnoresNonFiniteValuesAndWidensSingleValues) {
  const std::vector<double> mixed = {NAN, 2.0, INFINITY, -1.0, -INFINITY};
  const AxisRange range = data_range(mixed, false);
  EXPECT_EQ(range.low, -1.0);
  EXPECT_EQ(range.high, 2.0);
  const std::vector<double> one = {5.0};
  EXPECT_EQ(data_range(one, false).low, 4.0);
  EXPECT_EQ(data_range(one, false).high, 6.0);
  EXPECT_DOUBLE_EQ(data_range(one, true).low, 0.5);
  const std::vector<double> none = {NAN};
  EXPECT_EQ(data_range(none, false).low, 0.0);
  EXPECT_EQ(data_range(none, false).high, 1.0);
  const std::vector<double> non_positive = {0.0, -2.0, 3.0};
  EXPECT_DOUBLE_EQ(data_range(non_positive, true).low, 0.3);  // only 3 is usable on a log axis
}

}  // namespace
}  // namespace retune::report
