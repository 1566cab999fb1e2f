// What the anchor_penalty and add_squares specs cannot show: rejected inputs, named.
#include "ops/anchor_penalty.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(AnchorPenalty, RejectsBadInputsNamingThem) {
  const Tensor value = uniform_tensor({3, 4}, 1);
  const Tensor start = uniform_tensor({3, 4}, 2);
  const Tensor grad = Tensor::zeros({3, 4}, DType::f32);
  const auto penalty = [&](const AnchoredTensor& t, double l2sp, double ewc) {
    return error_of([&] { anchor_penalty(std::vector{t}, l2sp, ewc); });
  };
  EXPECT_EQ(penalty({value, start, Tensor(), grad}, -1, 0),
            "anchor_penalty: l2sp is -1 and ewc 0, expected both >= 0");
  EXPECT_EQ(penalty({Tensor(), start, Tensor(), grad}, 1, 0),
            "anchor_penalty: value[0] is undefined");
  EXPECT_THAT(penalty({value, uniform_tensor({4, 3}, 2), Tensor(), grad}, 1, 0),
              HasSubstr("anchor_penalty: start[0] is f32[4, 3] on cpu, expected a contiguous "
                        "f32[3, 4] on cpu"));
  EXPECT_THAT(penalty({value, start, uniform_tensor({3}, 3), grad}, 1, 1),
              HasSubstr("anchor_penalty: fisher[0] is f32[3] on cpu"));
  EXPECT_THAT(penalty({value, start, Tensor(), grad.to(DType::bf16)}, 1, 0),
              HasSubstr("anchor_penalty: grad[0] is bf16[3, 4] on cpu"));
  EXPECT_THAT(penalty({value, start, Tensor(), value}, 1, 0),
              HasSubstr("anchor_penalty: grad overlaps value"));
}

TEST(AddSquares, RejectsBadInputsNamingThem) {
  const Tensor grad = uniform_tensor({5}, 1);
  const Tensor sum = Tensor::zeros({5}, DType::f32);
  const auto add = [&](std::vector<Tensor> grads, std::vector<Tensor> sums) {
    return error_of([&] { add_squares(grads, sums, 1.0f); });
  };
  EXPECT_EQ(add({grad}, {}), "add_squares: 1 gradients and 0 sums");
  EXPECT_EQ(add({Tensor()}, {sum}), "add_squares: grads[0] is undefined");
  EXPECT_THAT(add({grad}, {Tensor::zeros({6}, DType::f32)}),
              HasSubstr("add_squares: sums[0] is f32[6] on cpu, expected a contiguous f32[5]"));
  EXPECT_THAT(add({grad}, {grad}), HasSubstr("add_squares: sums overlaps grads"));
}

}  // namespace
}  // namespace retune::ops
