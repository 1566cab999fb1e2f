// What the silu / gelu specs cannot show: rejected arguments, and values computed apart from the
// reference (the specs check the op against a reference written from the same formulas).
#include "ops/activations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

Tensor values(std::vector<float> v) {
  return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, DType::f32, v);
}

std::vector<float> apply(void (*op)(const Tensor&, const Tensor&), const Tensor& x) {
  const Tensor out = Tensor::empty(x.shape(), DType::f32);
  op(x, out);
  return out.to_f32_vector();
}

TEST(Silu, RejectsBadArgumentsNamingThem) {
  const Tensor x = Tensor::zeros({2, 3}, DType::f32);
  EXPECT_EQ(error_of([&] {
              silu_forward(x, Tensor::empty({3, 2}, DType::f32));
            }),
            "silu_forward: out is f32[3, 2] on cpu, expected a contiguous f32[2, 3] on cpu");
  EXPECT_THAT(error_of([&] { silu_forward(x.to(DType::bf16), x); }),
              HasSubstr("silu_forward: x is bf16[2, 3] on cpu, expected a contiguous f32[2, 3]"));
  EXPECT_THAT(error_of([&] { silu_forward(Tensor(), x); }),
              HasSubstr("silu_forward: x is undefined"));
  EXPECT_THAT(error_of([&] { silu_backward(x, Tensor::zeros({6}, DType::f32), x.clone()); }),
              HasSubstr("silu_backward: dout is f32[6] on cpu, expected a contiguous f32[2, 3]"));
  EXPECT_THAT(error_of([&] { silu_backward(x, x, x.transpose(0, 1)); }),
              HasSubstr("silu_backward: dx is f32[3, 2] on cpu"));
}

TEST(Gelu, RejectsBadArgumentsNamingThem) {
  const Tensor x = Tensor::zeros({4}, DType::f32);
  EXPECT_EQ(
      error_of([&] { gelu_forward(x, Tensor::empty({5}, DType::f32), GeluApproximation::tanh); }),
      "gelu_forward: out is f32[5] on cpu, expected a contiguous f32[4] on cpu");
  EXPECT_THAT(error_of([&] {
                gelu_backward(x, x, Tensor::empty({4}, DType::f16), GeluApproximation::none);
              }),
              HasSubstr("gelu_backward: dx is f16[4] on cpu, expected a contiguous f32[4]"));
}

TEST(Silu, KnownValues) {
  // x * sigmoid(x) at -2, 0, 1, 3, evaluated in double (as torch.nn.functional.silu defines it).
  const std::vector<float> got = apply(silu_forward, values({-2, 0, 1, 3}));
  const std::vector<float> want{-0.23840584f, 0.0f, 0.73105858f, 2.85772238f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
}

TEST(Gelu, KnownValuesOfBothApproximations) {
  // torch.nn.functional.gelu's definitions for approximate='none' and 'tanh' at -2, 0, 1, 3,
  // evaluated in double.
  const Tensor x = values({-2, 0, 1, 3});
  const std::vector<std::pair<GeluApproximation, std::vector<float>>> cases = {
      {GeluApproximation::none, {-0.04550026f, 0.0f, 0.84134475f, 2.99595031f}},
      {GeluApproximation::tanh, {-0.04540231f, 0.0f, 0.84119199f, 2.99636261f}},
  };
  for (const auto& [approximation, want] : cases) {
    const Tensor out = Tensor::empty({4}, DType::f32);
    gelu_forward(x, out, approximation);
    const std::vector<float> got = out.to_f32_vector();
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
  }
}

}  // namespace
}  // namespace retune::ops
