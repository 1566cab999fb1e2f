// What the softmax specs cannot show: rejected arguments, and rows with masked (-inf) or
// huge logits.
#include "ops/softmax.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(Softmax, RejectsBadArgumentsNamingThem) {
  const Tensor x = Tensor::zeros({2, 5}, DType::f32);
  EXPECT_EQ(error_of([&] {
              softmax_forward(x, Tensor::empty({2, 4}, DType::f32));
            }),
            "softmax_forward: y is f32[2, 4] on cpu, expected a contiguous f32[2, 5] on cpu");
  EXPECT_THAT(error_of([&] { softmax_forward(x.reshape({10}), x); }),
              HasSubstr("softmax_forward: x is f32[10] on cpu, expected a contiguous f32[N, C]"));
  EXPECT_THAT(error_of([&] { softmax_backward(x, x.to(DType::bf16), x.clone()); }),
              HasSubstr("softmax_backward: dy is bf16[2, 5] on cpu, expected a contiguous "
                        "f32[2, 5]"));
  EXPECT_THAT(error_of([&] {
                softmax_backward(x, x, Tensor::empty({5, 2}, DType::f32));
              }),
              HasSubstr("softmax_backward: dx is f32[5, 2] on cpu"));
}

TEST(Softmax, MaskedAndHugeLogits) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> logits{-inf,    0.0f,    -inf, 0.0f,       // masked: two equal survivors
                                  1000.0f, 1000.0f, 0.0f, -1000.0f};  // exp would overflow
  const Tensor x = Tensor::from_vector<float>({2, 4}, DType::f32, logits);
  const Tensor y = Tensor::empty({2, 4}, DType::f32);
  softmax_forward(x, y);
  EXPECT_EQ(y.to_f32_vector(), (std::vector<float>{0, 0.5f, 0, 0.5f, 0.5f, 0.5f, 0, 0}));
}

}  // namespace
}  // namespace retune::ops
