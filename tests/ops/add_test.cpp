// What the add specs cannot show: the dtypes add_forward refuses, naming the argument.
#include "ops/add.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

TEST(Add, RefusesDtypesOtherThanF32AndBf16) {
  const Tensor a = uniform_tensor({2, 3}, 1);
  EXPECT_EQ(error_of([&] { add_forward(a, a.to(DType::f16), a.clone()); }),
            "add_forward: b is f16[2, 3] on cpu, expected a contiguous f32[2, 3] on cpu");
  EXPECT_EQ(error_of([&] {
              add_forward(a, a, Tensor::empty({2, 3}, DType::i32));
            }),
            "add_forward: out is i32[2, 3] on cpu, expected a contiguous f32[2, 3] on cpu");
  // bf16 ones are taken, each on its own: the f32 sum of the stored values, rounded once.
  const Tensor b = a.to(DType::bf16);
  const Tensor out = Tensor::empty({2, 3}, DType::bf16);
  add_forward(a, b, out);
  std::vector<float> sum = a.to_f32_vector();
  const std::vector<float> b_values = b.to_f32_vector();
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += b_values[i];
  EXPECT_EQ(out.to_f32_vector(),
            Tensor::from_vector<float>({2, 3}, DType::f32, sum).to(DType::bf16).to_f32_vector());
}

}  // namespace
}  // namespace retune::ops
