// What the dropout specs cannot show: rejected arguments, the mask's dependence on (seed, offset)
// only, the fraction dropped, and the backward reusing the forward's mask.
#include "ops/dropout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

// The mask of dropout(p, seed, offset) on n elements, read from the output of ones.
std::vector<bool> mask(int64_t n, float p, uint64_t seed, uint64_t offset) {
  Tensor ones = Tensor::zeros({n}, DType::f32);
  ones.fill(1.0);
  const Tensor out = Tensor::empty({n}, DType::f32);
  dropout_forward(ones, out, p, seed, offset);
  std::vector<bool> keep;
  for (float value : out.to_f32_vector()) keep.push_back(value != 0.0f);
  return keep;
}

TEST(Dropout, RejectsBadArgumentsNamingThem) {
  const Tensor x = Tensor::zeros({3, 4}, DType::f32);
  const Tensor out = Tensor::empty({3, 4}, DType::f32);
  EXPECT_EQ(error_of([&] { dropout_forward(x, out, 1.5f, 1, 0); }),
            "dropout_forward: p is 1.5, expected a probability in [0, 1]");
  EXPECT_THAT(error_of([&] { dropout_forward(x, out, -0.1f, 1, 0); }),
              HasSubstr("p is -0.1, expected a probability in [0, 1]"));
  EXPECT_THAT(error_of([&] { dropout_forward(x, out, NAN, 1, 0); }), HasSubstr("p is nan"));
  EXPECT_THAT(error_of([&] { dropout_forward(x, Tensor::empty({12}, DType::f32), 0.1f, 1, 0); }),
              HasSubstr("dropout_forward: out is f32[12] on cpu, expected a contiguous "
                        "f32[3, 4] on cpu"));
  EXPECT_THAT(error_of([&] { dropout_forward(x.transpose(0, 1), out, 0.1f, 1, 0); }),
              HasSubstr("x is f32[4, 3] on cpu (non-contiguous), expected a contiguous"));
  EXPECT_THAT(error_of([&] { dropout_backward(x.to(DType::f16), out, 0.1f, 1, 0); }),
              HasSubstr("dropout_backward: dout is f16[3, 4] on cpu, expected a contiguous "
                        "f32[3, 4]"));
  EXPECT_THAT(error_of([&] { dropout_backward(x, Tensor(), 0.1f, 1, 0); }),
              HasSubstr("dropout_backward: dx is undefined"));
  // In place is fine (LoRA's backward drops its gradient in place); a partial overlap is not.
  const Tensor flat = Tensor::zeros({16}, DType::f32);
  EXPECT_EQ(error_of([&] {
              dropout_forward(flat.slice(0, 0, 12).reshape({3, 4}),
                              flat.slice(0, 2, 14).reshape({3, 4}), 0.1f, 1, 0);
            }),
            "dropout_forward: out overlaps x; they must not share memory");
  EXPECT_EQ(error_of([&] { dropout_backward(out, out, 0.1f, 1, 0); }), "no error");
}

TEST(Dropout, MaskFollowsSeedAndOffset) {
  const std::vector<bool> a = mask(1000, 0.5f, 42, 0);
  EXPECT_EQ(mask(1000, 0.5f, 42, 0), a);
  EXPECT_NE(mask(1000, 0.5f, 42, 1000), a);
  EXPECT_NE(mask(1000, 0.5f, 43, 0), a);
  // Element i draws counter (offset + i): a call at offset 10 continues one at offset 0.
  const std::vector<bool> shifted = mask(990, 0.5f, 42, 10);
  EXPECT_TRUE(std::equal(shifted.begin(), shifted.end(), a.begin() + 10));
}

TEST(Dropout, DropsAboutAFractionP) {
  const int64_t n = 1 << 20;
  for (float p : {0.1f, 0.5f, 0.9f}) {
    const std::vector<bool> keep = mask(n, p, 7, 123);
    const double dropped = static_cast<double>(std::count(keep.begin(), keep.end(), false)) / n;
    // The standard deviation of the fraction is sqrt(p (1 - p) / n) <= 5e-4.
    EXPECT_NEAR(dropped, p, 3e-3) << p;
  }
}

TEST(Dropout, ScalesKeptElementsAndHandlesTheEnds) {
  Tensor x = Tensor::zeros({5, 7}, DType::f32);
  x.fill(2.0);
  const Tensor out = Tensor::empty({5, 7}, DType::f32);
  dropout_forward(x, out, 0.75f, 9, 0);
  for (float value : out.to_f32_vector()) EXPECT_TRUE(value == 0.0f || value == 8.0f) << value;
  dropout_forward(x, out, 0.0f, 9, 0);
  EXPECT_EQ(out.to_f32_vector(), x.to_f32_vector());
  dropout_forward(x, out, 1.0f, 9, 0);
  EXPECT_EQ(out.to_f32_vector(), std::vector<float>(35, 0.0f));
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  Tensor ones = Tensor::zeros({999}, DType::f32);
  ones.fill(1.0);
  const Tensor out = Tensor::empty({999}, DType::f32);
  dropout_forward(ones, out, 0.3f, 5, 77);
  const Tensor dx = Tensor::empty({999}, DType::f32);
  dropout_backward(ones, dx, 0.3f, 5, 77);
  EXPECT_EQ(dx.to_f32_vector(), out.to_f32_vector());
}

TEST(Dropout, SameMaskForOneAndTwoThreads) {
  const int threads = num_threads();
  set_num_threads(1);
  const std::vector<bool> one = mask(100003, 0.4f, 3, 11);
  set_num_threads(2);
  const std::vector<bool> two = mask(100003, 0.4f, 3, 11);
  set_num_threads(threads);
  EXPECT_EQ(one, two);
}

}  // namespace
}  // namespace retune::ops
