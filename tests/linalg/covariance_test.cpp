// Covariance: the accumulated sum equals a direct x^T x; CorDA's recipe (each sample divided by
// |max element|, averaged over samples) is one add_scaled_by_max per sample and mean(); strided
// and bf16 inputs; the errors.
#include "linalg/covariance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "linalg_test_util.h"
#include "support/error_of.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using test_util::relative_error;
using ::testing::HasSubstr;

// weight * x^T x in double, straight from the definition.
Matrix direct_gram(const Tensor& x, double weight) {
  const Matrix m = as_matrix(x);
  Matrix out(m.cols, m.cols);
  for (int64_t i = 0; i < m.cols; ++i) {
    for (int64_t j = 0; j < m.cols; ++j) {
      double sum = 0.0;
      for (int64_t r = 0; r < m.rows; ++r) sum += m(r, i) * m(r, j);
      out(i, j) = weight * sum;
    }
  }
  return out;
}

Matrix plus(Matrix a, const Matrix& b) {
  for (size_t i = 0; i < a.values.size(); ++i) a.values[i] += b.values[i];
  return a;
}

Matrix scaled(Matrix a, double factor) {
  for (double& v : a.values) v *= factor;
  return a;
}

// Tolerances: the double sums agree to 1e-12 (relative, Frobenius); the f32 tensors to 1e-6.
TEST(LinalgCovariance, EqualsADirectXtX) {
  const Tensor x1 = uniform_tensor({13, 6}, 1), x2 = uniform_tensor({4, 6}, 2);
  Covariance cov(6);
  cov.add(x1);
  cov.add(x2, 0.25);
  EXPECT_EQ(cov.count(), 2);
  EXPECT_EQ(cov.rows(), 17);
  const Matrix want = plus(direct_gram(x1, 1.0), direct_gram(x2, 0.25));
  EXPECT_LE(relative_error(cov.sum_f64(), want), 1e-12);
  EXPECT_LE(relative_error(as_matrix(cov.sum()), want), 1e-6);
  EXPECT_LE(relative_error(as_matrix(cov.mean()), scaled(want, 0.5)), 1e-6);
  EXPECT_LE(relative_error(as_matrix(cov.mean_per_row()), scaled(want, 1.0 / 17)), 1e-6);
  const Matrix sum = cov.sum_f64();
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(sum(i, j), sum(j, i));
  }
}

// PEFT corda.py: X / |max(X)| per sample (the largest element, signed), C = mean over samples of
// X^T X. The second sample is all negative: its largest element is -0.5, so it is divided by 0.5
// (not by its largest magnitude).
TEST(LinalgCovariance, CordaRecipeIsOneCallPerSample) {
  const Tensor x1 = uniform_tensor({10, 5}, 3, -2.0, 3.0);
  std::vector<float> negative = uniform_tensor({8, 5}, 4, -4.0, -1.0).to_f32_vector();
  negative[7] = -0.5f;
  const Tensor x2 = Tensor::from_vector<float>({8, 5}, DType::f32, negative);
  double max1 = -1e300;
  for (float v : x1.to_f32_vector()) max1 = std::max(max1, static_cast<double>(v));
  Covariance cov(5);
  cov.add_scaled_by_max(x1);
  cov.add_scaled_by_max(x2);
  const Matrix want =
      scaled(plus(direct_gram(x1, 1.0 / (max1 * max1)), direct_gram(x2, 1.0 / (0.5 * 0.5))), 0.5);
  EXPECT_LE(relative_error(cov.mean_f64(), want), 1e-12);
}

TEST(LinalgCovariance, StridedAndBf16Inputs) {
  const Tensor x = uniform_tensor({6, 9}, 5);
  Covariance strided(6), copied(6);
  strided.add(x.transpose(0, 1));
  copied.add(x.transpose(0, 1).contiguous());
  EXPECT_EQ(strided.sum_f64().values, copied.sum_f64().values);
  const Tensor x16 = uniform_tensor({7, 4}, 6).to(DType::bf16);
  Covariance from16(4);
  from16.add(x16);
  EXPECT_LE(relative_error(from16.sum_f64(), direct_gram(x16.to(DType::f32), 1.0)), 1e-12);
}

TEST(LinalgCovariance, Errors) {
  EXPECT_EQ(error_of([] { Covariance(0); }), "Covariance: features is 0, expected >= 1");
  Covariance cov(4);
  EXPECT_EQ(error_of([&] { cov.mean(); }), "Covariance::mean: nothing was added yet");
  EXPECT_EQ(error_of([&] {
              cov.add(Tensor::zeros({3, 5}, DType::f32));
            }),
            "Covariance::add: x has 5 columns, expected [N, 4]");
  EXPECT_EQ(error_of([&] {
              cov.add(Tensor::zeros({3, 4}, DType::f32), std::nan(""));
            }),
            "Covariance::add: weight is nan, expected a finite value");
  EXPECT_EQ(error_of([&] {
              cov.add_scaled_by_max(Tensor::zeros({3, 4}, DType::f32));
            }),
            "Covariance::add_scaled_by_max: the largest element of x (f32[3, 4] on cpu) is 0, "
            "expected a nonzero maximum to divide by");
  EXPECT_THAT(error_of([&] {
                cov.add(Tensor::zeros({2, 3, 4}, DType::f32));
              }),
              HasSubstr("expected a 2-D float tensor [N, features]"));
  EXPECT_EQ(cov.count(), 0);
}

}  // namespace
}  // namespace retune::linalg
