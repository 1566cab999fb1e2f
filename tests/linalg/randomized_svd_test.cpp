// randomized_svd: exact for a matrix of rank <= q; close to thin_svd for a decaying spectrum (top
// singular values and the principal subspaces); the same seed gives the same bits; the m < n
// path (torch works on the transpose); and, with the sketch torch drew, torch.svd_lowrank's own
// output (tests/fixtures/linalg/svd_lowrank.safetensors).
#include "linalg/randomized_svd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/random_tensor.h"
#include "linalg_test_util.h"
#include "support/error_of.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using test_util::as_vector;
using test_util::geometric;
using test_util::matrix_with_spectrum;
using test_util::orthonormality_error;
using test_util::principal_cosines;
using test_util::reconstruct;
using test_util::relative_error;
using ::testing::HasSubstr;

void expect_shapes(const Svd& svd, int64_t m, int64_t n, int64_t k) {
  EXPECT_EQ(svd.u.shape(), Shape({m, k}));
  EXPECT_EQ(svd.s.shape(), Shape({k}));
  EXPECT_EQ(svd.vt.shape(), Shape({k, n}));
}

// A rank-`rank` [m, n] matrix (a product of seeded normal factors).
Tensor low_rank(int64_t m, int64_t n, int64_t rank, uint64_t seed) {
  return to_tensor(multiply(as_matrix(normal_tensor({m, rank}, seed, 0.0, 1.0)),
                            as_matrix(normal_tensor({rank, n}, seed + 1, 0.0, 1.0))));
}

// Tolerance: f32 outputs, ||U S Vt - A||_F / ||A||_F <= 1e-6.
TEST(LinalgRandomizedSvd, ExactForARankQMatrix) {
  for (const auto& [m, n] : {std::pair<int64_t, int64_t>{60, 40}, {30, 70}}) {
    SCOPED_TRACE(::testing::Message() << m << "x" << n);
    const Tensor a = low_rank(m, n, 5, 7);
    for (int64_t niter : {0, 2}) {
      const Svd svd = randomized_svd(a, 5, niter, 11);
      expect_shapes(svd, m, n, 5);
      EXPECT_LE(relative_error(reconstruct(svd), as_matrix(a)), 1e-6);
      EXPECT_LE(orthonormality_error(as_matrix(svd.u)), 1e-6);
      EXPECT_LE(orthonormality_error(as_matrix(svd.vt).transposed()), 1e-6);
    }
  }
}

// A spectrum 0.7^i; q = 10, niter = 4. Tolerances: the top 5 singular values within 1e-5
// (relative to s_0) of thin_svd's, and the cosines of the principal angles between the top-5
// left (and right) singular subspaces >= 1 - 1e-6.
TEST(LinalgRandomizedSvd, ApproachesThinSvdForADecayingSpectrum) {
  for (const auto& [m, n] : {std::pair<int64_t, int64_t>{80, 60}, {50, 90}}) {
    SCOPED_TRACE(::testing::Message() << m << "x" << n);
    const Tensor a = matrix_with_spectrum(m, n, geometric(std::min(m, n), 0.7), 5);
    const Svd exact = thin_svd(a), fast = randomized_svd(a, 10, 4, 3);
    expect_shapes(fast, m, n, 10);
    const std::vector<double> s = as_vector(exact.s), t = as_vector(fast.s);
    for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(t[i], s[i], 1e-5 * s[0]) << "at " << i;
    const int64_t r = 5;
    for (double c :
         principal_cosines(as_matrix(exact.u).columns(0, r), as_matrix(fast.u).columns(0, r))) {
      EXPECT_GE(c, 1.0 - 1e-6);
    }
    for (double c : principal_cosines(as_matrix(exact.vt).rows_range(0, r).transposed(),
                                      as_matrix(fast.vt).rows_range(0, r).transposed())) {
      EXPECT_GE(c, 1.0 - 1e-6);
    }
  }
}

TEST(LinalgRandomizedSvd, SameSeedSameBits) {
  const Tensor a = matrix_with_spectrum(40, 30, geometric(30, 0.8), 9);
  const Svd first = randomized_svd(a, 6, 2, 123), again = randomized_svd(a, 6, 2, 123);
  EXPECT_EQ(first.u.to_f32_vector(), again.u.to_f32_vector());
  EXPECT_EQ(first.s.to_f32_vector(), again.s.to_f32_vector());
  EXPECT_EQ(first.vt.to_f32_vector(), again.vt.to_f32_vector());
  const Svd other = randomized_svd(a, 6, 2, 124);
  EXPECT_NE(first.s.to_f32_vector(), other.s.to_f32_vector());
}

TEST(LinalgRandomizedSvd, QBeyondTheSmallerSideGivesTheExactSvd) {
  // k = min(q, m, n) = 6, like torch (whose reduced QRs clip the basis).
  const Tensor a = uniform_tensor({6, 20}, 4);
  const Svd svd = randomized_svd(a, 10, 1, 5);
  expect_shapes(svd, 6, 20, 6);
  EXPECT_LE(relative_error(reconstruct(svd), as_matrix(a)), 1e-6);
  const std::vector<double> s = as_vector(svd.s), want = as_vector(thin_svd(a).s);
  for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], want[i], 1e-6 * want[0]);
}

// torch.svd_lowrank(a.double(), q, niter) and the sketch it drew (rounded to f32 in the fixture,
// so agreement is to ~1e-7). Tolerance: s within 1e-6 relative to s_0; u and v columns within
// 1e-6 (max abs) after matching each column's sign (the signs are LAPACK's, MKL vs OpenBLAS).
// The rank-q approximation is not the exact SVD (the last value differs by > 1e-3), so this
// checks the algorithm step by step, not just the SVD.
TEST(LinalgRandomizedSvd, MatchesTorchSvdLowrankGivenItsSketch) {
  const SafetensorsFile fixture = test_util::linalg_fixture("svd_lowrank.safetensors");
  const std::map<std::string, int64_t> niters = {{"tall", 2}, {"wide", 1}};
  for (const auto& [name, niter] : niters) {
    SCOPED_TRACE(name);
    const Tensor a = fixture.tensor(name + ".a");
    const Svd svd = randomized_svd_with_sketch(a, fixture.tensor(name + ".omega"), niter);
    const std::vector<double> s = as_vector(svd.s), want = as_vector(fixture.tensor(name + ".s"));
    ASSERT_EQ(s.size(), want.size());
    for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], want[i], 1e-6 * want[0]);
    const std::vector<double> exact = as_vector(thin_svd(a).s);
    EXPECT_GT(std::abs(want.back() - exact[want.size() - 1]), 1e-3);
    const Matrix u = as_matrix(svd.u), v = as_matrix(svd.vt).transposed();
    const Matrix u_want = as_matrix(fixture.tensor(name + ".u"));
    const Matrix v_want = as_matrix(fixture.tensor(name + ".v"));
    for (int64_t j = 0; j < u.cols; ++j) {
      const double sign =
          multiply(u.columns(j, j + 1), u_want.columns(j, j + 1), true)(0, 0) < 0 ? -1.0 : 1.0;
      for (int64_t i = 0; i < u.rows; ++i) EXPECT_NEAR(sign * u(i, j), u_want(i, j), 1e-6);
      for (int64_t i = 0; i < v.rows; ++i) EXPECT_NEAR(sign * v(i, j), v_want(i, j), 1e-6);
    }
  }
}

TEST(LinalgRandomizedSvd, RefusesBadArguments) {
  const Tensor a = uniform_tensor({6, 4}, 1);
  EXPECT_EQ(error_of([&] { randomized_svd(a, 0, 2, 1); }), "randomized_svd: q is 0, expected >= 1");
  EXPECT_EQ(error_of([&] { randomized_svd(a, 2, -1, 1); }),
            "randomized_svd: niter is -1, expected >= 0");
  EXPECT_EQ(error_of([&] {
              randomized_svd_with_sketch(a, uniform_tensor({6, 2}, 2), 1);
            }),
            "randomized_svd_with_sketch: omega is 6x2 for a 6x4 matrix, expected [min(m, n), q] "
            "(4 rows)");
  EXPECT_THAT(error_of([&] { randomized_svd(Tensor::zeros({6}, DType::f32), 2, 1, 1); }),
              HasSubstr("randomized_svd: a is f32[6] on cpu, expected a 2-D float tensor [m, n]"));
}

}  // namespace
}  // namespace retune::linalg
