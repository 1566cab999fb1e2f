// reduced_qr: q r = a, q^T q = I and r upper triangular for tall, wide and square inputs, and
// torch.linalg.qr's own factors elementwise (tests/fixtures/linalg/qr.safetensors: LAPACK's
// Householder signs, as OLoRA's PEFT fixture needs).
#include "linalg/qr.h"

#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "linalg_test_util.h"

namespace retune::linalg {
namespace {

using test_util::as_matrix;
using test_util::max_abs_difference;
using test_util::orthonormality_error;
using test_util::relative_error;

// Tolerances: f32 outputs, ||q r - a||_F / ||a||_F <= 1e-6, max |q^T q - I| <= 1e-6; r's
// entries below the diagonal are exactly 0.
void expect_valid_qr(const Tensor& a, const Qr& qr) {
  const int64_t m = a.size(0), n = a.size(1), k = std::min(m, n);
  ASSERT_EQ(qr.q.shape(), Shape({m, k}));
  ASSERT_EQ(qr.r.shape(), Shape({k, n}));
  const Matrix q = as_matrix(qr.q), r = as_matrix(qr.r);
  EXPECT_LE(relative_error(multiply(q, r), as_matrix(a)), 1e-6);
  EXPECT_LE(orthonormality_error(q), 1e-6);
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < std::min(i, n); ++j) EXPECT_EQ(r(i, j), 0.0) << i << ", " << j;
  }
}

TEST(LinalgReducedQr, TallWideAndSquare) {
  for (const auto& [m, n] :
       {std::pair<int64_t, int64_t>{9, 4}, {4, 9}, {6, 6}, {1, 3}, {3, 1}, {50, 20}}) {
    SCOPED_TRACE(::testing::Message() << m << "x" << n);
    const Tensor a = uniform_tensor({m, n}, static_cast<uint64_t>(m * 100 + n));
    expect_valid_qr(a, reduced_qr(a));
  }
}

TEST(LinalgReducedQr, StridedAndBf16Inputs) {
  const Tensor base = uniform_tensor({7, 5}, 3);
  const Tensor view = base.transpose(0, 1);
  const Qr strided = reduced_qr(view), copied = reduced_qr(view.contiguous());
  expect_valid_qr(view.contiguous(), strided);
  EXPECT_EQ(strided.q.to_f32_vector(), copied.q.to_f32_vector());
  EXPECT_EQ(strided.r.to_f32_vector(), copied.r.to_f32_vector());
  const Tensor a16 = base.to(DType::bf16);
  expect_valid_qr(a16.to(DType::f32), reduced_qr(a16));
}

// torch.linalg.qr(a.double()) stored as f32: elementwise max |difference| <= 1e-6 (entries are
// O(1), so a few f32 roundings; the differences seen are 0), signs included.
TEST(LinalgReducedQr, EqualsTorchElementwise) {
  const SafetensorsFile fixture = test_util::linalg_fixture("qr.safetensors");
  for (const char* name : {"tall", "wide", "square"}) {
    SCOPED_TRACE(name);
    const std::string prefix = name;
    const Tensor a = fixture.tensor(prefix + ".a");
    const Qr qr = reduced_qr(a);
    expect_valid_qr(a, qr);
    EXPECT_LE(max_abs_difference(as_matrix(qr.q), as_matrix(fixture.tensor(prefix + ".q"))), 1e-6);
    EXPECT_LE(max_abs_difference(as_matrix(qr.r), as_matrix(fixture.tensor(prefix + ".r"))), 1e-6);
  }
}

TEST(LinalgReducedQr, DoubleOverload) {
  const Matrix a = as_matrix(uniform_tensor({10, 7}, 8));
  const QrF64 qr = reduced_qr(a);
  EXPECT_LE(relative_error(multiply(qr.q, qr.r), a), 1e-14);
  EXPECT_LE(orthonormality_error(qr.q), 1e-14);
}

}  // namespace
}  // namespace retune::linalg
