#include "ops/cpu/vector_exp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace retune::ops::cpu {
namespace {

// Units in the last place of the true value (float spacing at |want|).
double ulps(float got, double want) {
  const double spacing =
      std::nextafter(static_cast<float>(want), INFINITY) - static_cast<float>(want);
  return std::fabs(got - want) / spacing;
}

TEST(VectorExp, WithinTwoUlpOfExpAcrossItsRange) {
  double worst = 0;
  for (double x = -87.3; x <= 88.72; x += 1.0 / 4096) {
    const auto xf = static_cast<float>(x);
    worst = std::max(worst, ulps(vector_exp(xf), std::exp(static_cast<double>(xf))));
  }
  EXPECT_LE(worst, 2.0);
}

TEST(VectorExp, EdgeValues) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(vector_exp(0.0f), 1.0f);
  EXPECT_EQ(vector_exp(-inf), 0.0f);  // a masked score
  EXPECT_EQ(vector_exp(-100.0f), 0.0f);
  EXPECT_EQ(vector_exp(inf), inf);
  EXPECT_EQ(vector_exp(89.0f), inf);
  EXPECT_TRUE(std::isnan(vector_exp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_NEAR(vector_exp(88.7f) / std::exp(double{88.7f}), 1.0, 1e-6);
}

TEST(VectorExp, ShiftedInPlaceMatchesElementwise) {
  std::vector<float> row = {0.5f, -3.0f, 2.0f, -std::numeric_limits<float>::infinity(), 7.0f};
  const std::vector<float> original = row;
  exp_shifted_in_place(row.data(), static_cast<int64_t>(row.size()), 2.0f);
  for (size_t j = 0; j < row.size(); ++j) EXPECT_EQ(row[j], vector_exp(original[j] - 2.0f));
}

}  // namespace
}  // namespace retune::ops::cpu
