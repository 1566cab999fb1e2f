// What the gather_entries and scatter_entries specs cannot show: rejected inputs, named.
#include "ops/entries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(Entries, RejectsBadInputsNamingThem) {
  const Tensor source = uniform_tensor({3, 4}, 1);
  const Tensor indices = Tensor::from_vector<int64_t>({2}, DType::i64, std::vector<int64_t>{0, 5});
  EXPECT_THAT(error_of([&] {
                gather_entries(source, indices.to(DType::i32), Tensor::empty({2}, DType::f32));
              }),
              HasSubstr("gather_entries: indices is i32[2] on cpu, expected a contiguous i64[2]"));
  EXPECT_THAT(error_of([&] { gather_entries(source, indices, Tensor::empty({3}, DType::f32)); }),
              HasSubstr("gather_entries: out is f32[3] on cpu, expected a contiguous f32[2]"));
  EXPECT_EQ(error_of([&] { gather_entries(Tensor(), indices, Tensor::empty({2}, DType::f32)); }),
            "gather_entries: source is undefined");
  EXPECT_THAT(error_of([&] { scatter_entries(source, indices, uniform_tensor({3}, 2)); }),
              HasSubstr("scatter_entries: values is f32[3] on cpu, expected a contiguous f32[2]"));
  EXPECT_THAT(
      error_of([&] { scatter_entries(source, indices, source.reshape({12}).slice(0, 0, 2)); }),
      HasSubstr("scatter_entries: target overlaps values"));
}

}  // namespace
}  // namespace retune::ops
