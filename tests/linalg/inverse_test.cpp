// inverse: a a^-1 = I for well- and ill-conditioned matrices, and the errors for singular and
// non-square ones.
#include "linalg/inverse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "linalg_test_util.h"
#include "support/error_of.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using ::testing::HasSubstr;

double identity_error(const Matrix& product) {
  double largest = 0.0;
  for (int64_t i = 0; i < product.rows; ++i) {
    for (int64_t j = 0; j < product.cols; ++j) {
      largest = std::max(largest, std::abs(product(i, j) - (i == j ? 1.0 : 0.0)));
    }
  }
  return largest;
}

// Tolerance: max |a a^-1 - I| and max |a^-1 a - I| <= 1e-5 (a^-1 rounded to f32, entries O(1)).
TEST(LinalgInverse, TimesTheMatrixIsTheIdentity) {
  for (int64_t n : {1, 2, 5, 40}) {
    SCOPED_TRACE(n);
    Matrix m = as_matrix(uniform_tensor({n, n}, static_cast<uint64_t>(n)));
    for (int64_t i = 0; i < n; ++i) m(i, i) += 2.0;  // keeps it well conditioned
    const Tensor a = to_tensor(m);
    const Tensor inv = inverse(a);
    ASSERT_EQ(inv.shape(), Shape({n, n}));
    EXPECT_LE(identity_error(multiply(as_matrix(a), as_matrix(inv))), 1e-5);
    EXPECT_LE(identity_error(multiply(as_matrix(inv), as_matrix(a))), 1e-5);
  }
}

TEST(LinalgInverse, StridedInput) {
  Matrix m = as_matrix(uniform_tensor({6, 6}, 4));
  for (int64_t i = 0; i < 6; ++i) m(i, i) += 2.0;
  const Tensor a = to_tensor(m);
  EXPECT_EQ(inverse(a.transpose(0, 1)).to_f32_vector(),
            inverse(a.transpose(0, 1).contiguous()).to_f32_vector());
}

// The 6x6 Hilbert matrix (condition number ~1.5e7) in double: max |H H^-1 - I| <= 1e-8.
TEST(LinalgInverse, DoubleOverloadOnAnIllConditionedMatrix) {
  Matrix hilbert(6, 6);
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 6; ++j) hilbert(i, j) = 1.0 / static_cast<double>(i + j + 1);
  }
  EXPECT_LE(identity_error(multiply(hilbert, inverse(hilbert))), 1e-8);
}

TEST(LinalgInverse, SingularMatrixNamesItsSize) {
  // Rows 0 and 1 are proportional: elimination leaves an exactly zero second pivot.
  const std::vector<float> values = {1, 2, 3, 2, 4, 6, 0, 0, 1};
  const Tensor a = Tensor::from_vector<float>({3, 3}, DType::f32, values);
  EXPECT_EQ(error_of([&] { inverse(a); }),
            "inverse: the 3x3 matrix is singular (pivot 2 of its LU factorisation is exactly "
            "zero)");
  EXPECT_THAT(error_of([&] {
                inverse(Tensor::zeros({4, 4}, DType::f32));
              }),
              HasSubstr("inverse: the 4x4 matrix is singular"));
}

TEST(LinalgInverse, RefusesNonSquare) {
  EXPECT_EQ(error_of([&] {
              inverse(Tensor::zeros({2, 3}, DType::f32));
            }),
            "inverse: a is f32[2, 3] on cpu, expected a square matrix [n, n]");
  EXPECT_EQ(error_of([&] { inverse(Matrix(2, 3)); }),
            "inverse: a is a 2x3 matrix, expected a square matrix [n, n]");
}

}  // namespace
}  // namespace retune::linalg
