// What the dora specs cannot show: rejected inputs, named.
#include "ops/dora.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(Dora, RejectsBadInputsNamingThem) {
  const Tensor weight = uniform_tensor({4, 6}, 1);
  const Tensor delta = uniform_tensor({4, 6}, 2);
  const Tensor magnitude = uniform_tensor({4}, 3);
  const Tensor norm = Tensor::empty({4}, DType::f32);
  const Tensor scale = Tensor::empty({4}, DType::f32);
  EXPECT_THAT(
      error_of([&] { dora_norm_scale(uniform_tensor({4}, 1), delta, magnitude, norm, scale); }),
      HasSubstr("dora_norm_scale: weight is f32[4] on cpu, expected a float [O, I]"));
  EXPECT_THAT(error_of([&] {
                dora_norm_scale(weight, uniform_tensor({6, 4}, 2), magnitude, norm, scale);
              }),
              HasSubstr("dora_norm_scale: delta is f32[6, 4] on cpu, expected a contiguous "
                        "f32[4, 6]"));
  EXPECT_THAT(error_of([&] { dora_norm_scale(weight, delta, magnitude, magnitude, scale); }),
              HasSubstr("dora_norm_scale: norm overlaps magnitude"));
}

}  // namespace
}  // namespace retune::ops
