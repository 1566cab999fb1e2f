// What the column_scale specs cannot show: rejected inputs, named.
#include "ops/column_scale.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(ColumnScale, RejectsBadInputsNamingThem) {
  const Tensor x = uniform_tensor({3, 4}, 1);
  const Tensor scale = uniform_tensor({4}, 2);
  const Tensor out = Tensor::empty({3, 4}, DType::f32);
  EXPECT_THAT(
      error_of([&] { scale_columns(x, uniform_tensor({3}, 3), Tensor(), Tensor(), out, false); }),
      HasSubstr("scale_columns: scale is f32[3] on cpu, expected a contiguous f32[4]"));
  EXPECT_THAT(
      error_of([&] { scale_columns(x, scale, uniform_tensor({5}, 3), Tensor(), out, false); }),
      HasSubstr("scale_columns: shift is f32[5] on cpu, expected a contiguous f32[4]"));
  EXPECT_THAT(error_of([&] {
                scale_columns(x, scale, Tensor(), uniform_tensor({4, 3}, 4), out, false);
              }),
              HasSubstr("scale_columns: subtract is f32[4, 3] on cpu"));
  EXPECT_THAT(error_of([&] { scale_columns(x, scale, Tensor(), Tensor(), x, true); }),
              HasSubstr("scale_columns: out overlaps x"));
  EXPECT_THAT(error_of([&] { scale_columns(x, scale, Tensor(), x, x, true); }),
              HasSubstr("scale_columns: out overlaps x"));

  const Tensor grad = Tensor::zeros({4}, DType::f32);
  EXPECT_THAT(error_of([&] {
                add_column_products(x, uniform_tensor({3, 5}, 5), Tensor(), grad);
              }),
              HasSubstr("add_column_products: b is f32[3, 5] on cpu, expected a contiguous "
                        "f32[3, 4]"));
  EXPECT_THAT(
      error_of([&] { add_column_products(x, x, uniform_tensor({3}, 6), grad); }),
      HasSubstr("add_column_products: divisor is f32[3] on cpu, expected a contiguous f32[4]"));
  EXPECT_THAT(error_of([&] { add_column_products(x, x, scale, scale); }),
              HasSubstr("add_column_products: grad overlaps divisor"));

  const Tensor z = uniform_tensor({3, 4}, 7);
  EXPECT_THAT(
      error_of([&] { scale_linear_output(z, uniform_tensor({2}, 8), scale, Tensor(), Tensor()); }),
      HasSubstr("scale_linear_output: bias is f32[2] on cpu, expected a contiguous f32[4]"));
  EXPECT_THAT(
      error_of([&] {
        scale_linear_output(z, Tensor(), scale, Tensor(), Tensor::empty({4, 3}, DType::f32));
      }),
      HasSubstr("scale_linear_output: kept is f32[4, 3] on cpu"));
  EXPECT_THAT(error_of([&] { scale_linear_output(z, Tensor(), scale, Tensor(), z); }),
              HasSubstr("scale_linear_output: kept overlaps z"));
  EXPECT_THAT(error_of([&] {
                scale_linear_output(scale.reshape({1, 4}), Tensor(), scale, Tensor(), Tensor());
              }),
              HasSubstr("scale_linear_output: z overlaps scale"));
}

}  // namespace
}  // namespace retune::ops
