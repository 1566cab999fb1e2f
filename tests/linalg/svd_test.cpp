// thin_svd: reconstruction, orthonormal factors and descending singular values for tall, wide and
// square inputs; bf16 and strided inputs read exactly like their f32 / contiguous copies.
// Tolerances: the outputs are f32, so reconstruction ||U S Vt - A||_F / ||A||_F <= 1e-6 and
// max |U^T U - I|, max |Vt Vt^T - I| <= 1e-6.
#include "linalg/svd.h"

#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "linalg_test_util.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using test_util::as_vector;
using test_util::orthonormality_error;
using test_util::reconstruct;
using test_util::relative_error;

void expect_valid_svd(const Tensor& a, const Svd& svd) {
  const int64_t m = a.size(0), n = a.size(1), k = std::min(m, n);
  ASSERT_EQ(svd.u.shape(), Shape({m, k}));
  ASSERT_EQ(svd.s.shape(), Shape({k}));
  ASSERT_EQ(svd.vt.shape(), Shape({k, n}));
  EXPECT_TRUE(svd.u.is_contiguous() && svd.s.is_contiguous() && svd.vt.is_contiguous());
  EXPECT_EQ(svd.u.dtype(), DType::f32);
  EXPECT_LE(relative_error(reconstruct(svd), as_matrix(a)), 1e-6);
  EXPECT_LE(orthonormality_error(as_matrix(svd.u)), 1e-6);
  EXPECT_LE(orthonormality_error(as_matrix(svd.vt).transposed()), 1e-6);
  const std::vector<double> s = as_vector(svd.s);
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_GE(s[i], 0.0);
    if (i > 0) {
      EXPECT_LE(s[i], s[i - 1]) << "at " << i;
    }
  }
}

TEST(LinalgThinSvd, TallWideAndSquareReconstruct) {
  for (const auto& [m, n] :
       {std::pair<int64_t, int64_t>{7, 4}, {4, 7}, {6, 6}, {1, 5}, {5, 1}, {1, 1}, {60, 45}}) {
    SCOPED_TRACE(testing::Message() << m << "x" << n);
    const Tensor a = uniform_tensor({m, n}, 10 + static_cast<uint64_t>(m * n));
    expect_valid_svd(a, thin_svd(a));
  }
}

TEST(LinalgThinSvd, FindsAKnownSpectrum) {
  const std::vector<double> want = {5.0, 3.0, 2.0, 0.5, 1e-3};
  const Tensor a = test_util::matrix_with_spectrum(9, 7, want, 3);
  const Svd svd = thin_svd(a);
  expect_valid_svd(a, svd);
  const std::vector<double> s = as_vector(svd.s);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(s[i], want[i], 1e-6 * want[0]);
  EXPECT_NEAR(s[5], 0.0, 1e-6 * want[0]);  // rank 5
}

TEST(LinalgThinSvd, RankDeficientAndZeroMatrices) {
  const Tensor zero = Tensor::zeros({4, 3}, DType::f32);
  const Svd svd = thin_svd(zero);
  for (double s : as_vector(svd.s)) EXPECT_EQ(s, 0.0);
  EXPECT_LE(orthonormality_error(as_matrix(svd.u)), 1e-6);
  const Tensor rank_one = test_util::matrix_with_spectrum(6, 8, {2.0}, 7);
  expect_valid_svd(rank_one, thin_svd(rank_one));
}

TEST(LinalgThinSvd, Bf16InputReadsExactly) {
  const Tensor a16 = uniform_tensor({8, 5}, 21).to(DType::bf16);
  const Svd from16 = thin_svd(a16), from32 = thin_svd(a16.to(DType::f32));
  expect_valid_svd(a16.to(DType::f32), from16);
  EXPECT_EQ(from16.s.to_f32_vector(), from32.s.to_f32_vector());
  EXPECT_EQ(from16.u.to_f32_vector(), from32.u.to_f32_vector());
  EXPECT_EQ(from16.vt.to_f32_vector(), from32.vt.to_f32_vector());
  const Tensor half = uniform_tensor({5, 8}, 22).to(DType::f16);
  expect_valid_svd(half.to(DType::f32), thin_svd(half));
}

TEST(LinalgThinSvd, StridedViewsReadLikeTheirCopies) {
  const Tensor base = uniform_tensor({9, 6}, 31);
  for (const Tensor& view : {base.transpose(0, 1), base.slice(1, 1, 5), base.slice(0, 2, 7)}) {
    SCOPED_TRACE(view.describe());
    const Svd strided = thin_svd(view), copied = thin_svd(view.contiguous());
    expect_valid_svd(view.contiguous(), strided);
    EXPECT_EQ(strided.s.to_f32_vector(), copied.s.to_f32_vector());
    EXPECT_EQ(strided.u.to_f32_vector(), copied.u.to_f32_vector());
    EXPECT_EQ(strided.vt.to_f32_vector(), copied.vt.to_f32_vector());
  }
}

TEST(LinalgThinSvd, DoubleOverloadIsExactToDoubleRounding) {
  const Matrix a = as_matrix(uniform_tensor({12, 9}, 41));
  const SvdF64 svd = thin_svd(a);
  Matrix us = svd.u;
  for (int64_t j = 0; j < us.cols; ++j) {
    for (int64_t i = 0; i < us.rows; ++i) us(i, j) *= svd.s[static_cast<size_t>(j)];
  }
  EXPECT_LE(relative_error(multiply(us, svd.vt), a), 1e-13);
  EXPECT_LE(orthonormality_error(svd.u), 1e-13);
}

}  // namespace
}  // namespace retune::linalg
