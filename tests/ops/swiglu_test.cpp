// What the swiglu specs cannot show: rejected arguments and skipped gradients.
#include "ops/swiglu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(Swiglu, RejectsBadArgumentsNamingThem) {
  const Tensor gate = uniform_tensor({3, 8}, 1, -3.0, 3.0);
  const Tensor out = Tensor::empty({3, 8}, DType::f32);
  EXPECT_EQ(error_of([&] {
              swiglu_forward(gate, uniform_tensor({3, 7}, 2, -3.0, 3.0), out);
            }),
            "swiglu_forward: up is f32[3, 7] on cpu, expected a contiguous f32[3, 8] on cpu");
  EXPECT_THAT(error_of([&] { swiglu_forward(Tensor(), gate, out); }),
              HasSubstr("swiglu_forward: gate is undefined"));
  EXPECT_THAT(error_of([&] { swiglu_forward(gate, gate, Tensor::empty({24}, DType::f32)); }),
              HasSubstr("swiglu_forward: out is f32[24] on cpu, expected a contiguous f32[3, 8]"));
  const Tensor halves =
      uniform_tensor({3, 16}, 3, -3.0, 3.0);  // gate and up side by side: strided views
  EXPECT_THAT(error_of([&] { swiglu_forward(halves.slice(1, 0, 8), halves.slice(1, 8, 16), out); }),
              HasSubstr("gate is f32[3, 8] on cpu (non-contiguous), expected a contiguous"));
  EXPECT_THAT(error_of([&] {
                swiglu_backward(gate, gate, gate, Tensor::empty({3, 8}, DType::f16), Tensor());
              }),
              HasSubstr("swiglu_backward: dgate is f16[3, 8] on cpu, expected a contiguous "
                        "f32[3, 8]"));
  // bf16 or f32, each; gate and up alike, dgate and dup alike.
  EXPECT_THAT(
      error_of([&] { swiglu_forward(gate, gate.to(DType::bf16), out); }),
      HasSubstr("swiglu_forward: up is bf16[3, 8] on cpu, expected a contiguous f32[3, 8]"));
  EXPECT_THAT(error_of([&] {
                swiglu_backward(gate, gate, gate, Tensor::empty({3, 8}, DType::bf16), out);
              }),
              HasSubstr("swiglu_backward: dup is f32[3, 8] on cpu, expected a contiguous "
                        "bf16[3, 8]"));
  EXPECT_THAT(error_of([&] {
                swiglu_backward(gate, gate, uniform_tensor({8, 3}, 4, -3.0, 3.0), Tensor(), out);
              }),
              HasSubstr("swiglu_backward: dout is f32[8, 3] on cpu"));
  // The forward may run in place; a partial overlap is refused, and so is any in the backward
  // (the CPU's dup reads gate and dout after dgate is written).
  const Tensor flat = uniform_tensor({32}, 5, -3.0, 3.0);
  const Tensor first = flat.slice(0, 0, 24).reshape({3, 8});
  const Tensor shifted = flat.slice(0, 4, 28).reshape({3, 8});
  EXPECT_EQ(error_of([&] { swiglu_forward(first, gate, shifted); }),
            "swiglu_forward: out overlaps gate; they must not share memory");
  EXPECT_EQ(error_of([&] { swiglu_forward(gate, first, shifted); }),
            "swiglu_forward: out overlaps up; they must not share memory");
  EXPECT_EQ(error_of([&] { swiglu_forward(first, gate, first); }), "no error");
  const Tensor dout = uniform_tensor({3, 8}, 6);
  EXPECT_EQ(error_of([&] { swiglu_backward(gate, first, dout, dout, Tensor()); }),
            "swiglu_backward: dgate overlaps dout; they must not share memory");
  EXPECT_EQ(error_of([&] { swiglu_backward(gate, first, dout, Tensor(), first); }),
            "swiglu_backward: dup overlaps up; they must not share memory");
  EXPECT_EQ(error_of([&] { swiglu_backward(gate, gate.clone(), dout, first, shifted); }),
            "swiglu_backward: dup overlaps dgate; they must not share memory");
}

TEST(Swiglu, UndefinedGradientsAreSkipped) {
  const Tensor gate = uniform_tensor({5, 9}, 5, -3.0, 3.0);
  const Tensor up = uniform_tensor({5, 9}, 6, -3.0, 3.0);
  const Tensor dout = uniform_tensor({5, 9}, 7, -3.0, 3.0);
  const Tensor dgate = Tensor::empty({5, 9}, DType::f32);
  const Tensor dup = Tensor::empty({5, 9}, DType::f32);
  swiglu_backward(gate, up, dout, dgate, dup);
  const Tensor dgate_alone = Tensor::empty({5, 9}, DType::f32);
  swiglu_backward(gate, up, dout, dgate_alone, Tensor());
  EXPECT_EQ(dgate_alone.to_f32_vector(), dgate.to_f32_vector());
  const Tensor dup_alone = Tensor::empty({5, 9}, DType::f32);
  swiglu_backward(gate, up, dout, Tensor(), dup_alone);
  EXPECT_EQ(dup_alone.to_f32_vector(), dup.to_f32_vector());
}

}  // namespace
}  // namespace retune::ops
