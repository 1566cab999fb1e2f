// What the matmul specs cannot show: alpha/beta, gradient accumulation, strided and transposed
// views as operands, an empty batch, and the errors for bad arguments.
#include "ops/matmul.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

void expect_near(const Tensor& got, const Tensor& want, float tolerance) {
  const std::vector<float> g = got.to_f32_vector(), w = want.to_f32_vector();
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tolerance) << "at " << i;
}

Tensor product(const Tensor& a, const Tensor& b, MatmulOptions options = {}) {
  const int64_t M = options.trans_a ? a.size(1) : a.size(0);
  const int64_t N = options.trans_b ? b.size(0) : b.size(1);
  const Tensor out = Tensor::zeros({M, N}, DType::f32);
  matmul_forward(a, b, out, options);
  return out;
}

TEST(Matmul, AlphaScalesAndBetaAddsTheOldOutput) {
  const Tensor a = uniform_tensor({3, 4}, 1), b = uniform_tensor({4, 5}, 2);
  const Tensor plain = product(a, b);
  const Tensor out = uniform_tensor({3, 5}, 3);
  const std::vector<float> before = out.to_f32_vector();
  matmul_forward(a, b, out, {.alpha = 2.0f, .beta = 0.5f});
  const std::vector<float> got = out.to_f32_vector(), ab = plain.to_f32_vector();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], 2 * ab[i] + 0.5f * before[i], 1e-5);
}

TEST(Matmul, StridedAndTransposedViewsEqualTheirContiguousCopies) {
  const Tensor wide = uniform_tensor({6, 10}, 4);
  const Tensor a = wide.slice(1, 2, 6);                        // [6, 4], row stride 10
  const Tensor b = uniform_tensor({5, 4}, 5).transpose(0, 1);  // [4, 5], column stride 4
  expect_near(product(a, b), product(a.contiguous(), b.contiguous()), 1e-6f);
  // [3, 2] with strides (4, 12): neither dim has unit stride.
  const Tensor scattered = uniform_tensor({2, 3, 4}, 6).transpose(0, 2).select(0, 0);
  EXPECT_THAT(error_of([&] {
                product(scattered, uniform_tensor({2, 5}, 7));
              }),
              HasSubstr("no unit stride"));
}

TEST(Matmul, BackwardAccumulatesOnlyWhenAsked) {
  const Tensor x = uniform_tensor({2, 3, 4}, 7), w = uniform_tensor({5, 4}, 8);
  const Tensor dy = uniform_tensor({2, 3, 5}, 9);
  const Tensor dx = uniform_tensor(x.shape(), 10), dw = uniform_tensor(w.shape(), 11);
  matmul_backward(dy, x, w, {dx, dw}, false, true);  // overwrite: garbage in dx/dw is gone
  const Tensor dx_once = dx.clone(), dw_once = dw.clone();
  matmul_backward(dy, x, w, {dx, dw, false, true}, false, true);  // dw accumulates, dx does not
  expect_near(dx, dx_once, 0.0f);
  std::vector<float> twice = dw_once.to_f32_vector();
  for (float& v : twice) v *= 2;
  expect_near(dw, Tensor::from_vector<float>(w.shape(), DType::f32, twice), 1e-5f);
}

TEST(Matmul, EmptyBatchGivesAZeroSharedGradient) {
  const Tensor x = Tensor::zeros({0, 3, 4}, DType::f32), w = uniform_tensor({5, 4}, 12);
  const Tensor dy = Tensor::zeros({0, 3, 5}, DType::f32);
  // Contiguous x folds the batch into rows; x stored transposed goes item by item.
  for (const bool trans_a : {false, true}) {
    const Tensor a = trans_a ? Tensor::zeros({0, 4, 3}, DType::f32) : x;
    const Tensor dw = uniform_tensor(w.shape(), 13);
    matmul_backward(dy, a, w, {Tensor(), dw}, trans_a, true);
    for (float v : dw.to_f32_vector()) EXPECT_EQ(v, 0.0f) << "trans_a " << trans_a;
  }
}

TEST(Matmul, RejectsBadArgumentsNamingThem) {
  const Tensor a = uniform_tensor({3, 4}, 14), b = uniform_tensor({4, 5}, 15);
  const Tensor out = Tensor::empty({3, 5}, DType::f32);
  EXPECT_THAT(error_of([&] { matmul_forward(a, a, out); }),
              HasSubstr("matmul_forward: inner sizes differ"));
  EXPECT_THAT(
      error_of([&] {
        matmul_forward(a, b, Tensor::empty({5, 3}, DType::f32));
      }),
      HasSubstr("matmul_forward: out is f32[5, 3] on cpu, expected a contiguous f32[3, 5]"));
  EXPECT_THAT(error_of([&] { matmul_forward(a.to(DType::bf16), b, out); }),
              HasSubstr("matmul_forward: a must be f32, got bf16[3, 4]"));
  const Tensor square = uniform_tensor({4, 4}, 16);
  EXPECT_THAT(error_of([&] { matmul_forward(square, square, square); }),
              HasSubstr("matmul_forward: out overlaps a"));
  EXPECT_THAT(error_of([&] {
                matmul_forward(uniform_tensor({2, 3, 4}, 17), uniform_tensor({3, 4, 5}, 18),
                               Tensor::empty({2, 3, 5}, DType::f32));
              }),
              HasSubstr("matmul_forward: batch sizes differ"));
  // The backward checks dout against the forward's output shape.
  const Tensor dout_2d = uniform_tensor({3, 5}, 19);
  EXPECT_THAT(
      error_of([&] {
        matmul_backward(dout_2d, uniform_tensor({2, 3, 4}, 20), uniform_tensor({2, 4, 5}, 21),
                        {Tensor::empty({2, 3, 4}, DType::f32)});
      }),
      HasSubstr("matmul_backward: dout is f32[3, 5] on cpu, expected a contiguous f32[2, 3, 5]"));
  EXPECT_THAT(
      error_of([&] {
        matmul_backward(out, a, b, {Tensor::empty({4, 3}, DType::f32)});
      }),
      HasSubstr("matmul_backward: da is f32[4, 3] on cpu, expected a contiguous f32[3, 4]"));
}

}  // namespace
}  // namespace retune::ops
