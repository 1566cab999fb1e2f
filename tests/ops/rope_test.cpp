// What the rope specs cannot show: rejected arguments, in place, thread-count independence
// and the inverse frequencies.
#include "ops/rope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/random_tensor.h"
#include "core/rng.h"
#include "core/threads.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

Tensor positions(int64_t B, int64_t T, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> values(static_cast<size_t>(B * T));
  for (int32_t& value : values) value = static_cast<int32_t>(rng.integer(0, 4095));
  return Tensor::from_vector<int32_t>({B, T}, DType::i32, values);
}

TEST(Rope, RejectsBadArguments) {
  const Tensor x = uniform_tensor({2, 3, 4, 8}, 1);
  const Tensor pos = positions(2, 3, 2);
  const Tensor inv_freq = rope_inv_freq(10000, 8);
  const Tensor out = Tensor::empty(x.shape(), DType::f32);
  EXPECT_THAT(
      error_of([&] { rope_forward(x.to(DType::bf16), pos, inv_freq, out); }),
      HasSubstr("rope_forward: x must be a contiguous f32[B, T, H, D], got bf16[2, 3, 4, 8]"));
  EXPECT_THAT(
      error_of([&] { rope_forward(x, pos.to(DType::i64), inv_freq, out); }),
      HasSubstr("rope_forward: positions must be a contiguous i32[2, 3] (B, T of x), got i64"));
  EXPECT_THAT(error_of([&] { rope_forward(x, positions(3, 2, 2), inv_freq, out); }),
              HasSubstr("rope_forward: positions must be a contiguous i32[2, 3]"));
  // A strided view of frequencies would be read as if contiguous.
  const Tensor table = Tensor::zeros({4, 2}, DType::f32);
  EXPECT_THAT(error_of([&] { rope_forward(x, pos, table.select(1, 0), out); }),
              HasSubstr("rope_forward: inv_freq must be a contiguous f32[R/2]"));
  // R = 10 > D = 8.
  EXPECT_THAT(
      error_of([&] { rope_forward(x, pos, rope_inv_freq(10000, 10), out); }),
      HasSubstr(
          "rope_forward: inv_freq must be a contiguous f32[R/2] with 2 <= R <= D = 8, got f32[5]"));
  EXPECT_THAT(
      error_of([&] {
        rope_forward(x, pos, inv_freq, Tensor::empty({2, 3, 4, 7}, DType::f32));
      }),
      HasSubstr(
          "rope_forward: out must be a contiguous f32[2, 3, 4, 8] like x, got f32[2, 3, 4, 7]"));
  EXPECT_THAT(error_of([&] { rope_backward(x, pos, inv_freq, Tensor()); }),
              HasSubstr("rope_backward: dout, positions, inv_freq and dx must all be defined"));
  // An output one element past the input overlaps it without being it.
  const Tensor both = uniform_tensor({2 * x.numel()}, 3);
  const Tensor first = both.slice(0, 0, x.numel()).reshape(x.shape());
  const Tensor shifted = both.slice(0, 1, x.numel() + 1).reshape(x.shape());
  EXPECT_THAT(error_of([&] { rope_forward(first, pos, inv_freq, shifted); }),
              HasSubstr("rope_forward: out overlaps x without being it"));
  EXPECT_THAT(error_of([&] { rope_inv_freq(10000, 7); }),
              HasSubstr("rope_inv_freq: rotary_dims must be even and positive, got 7"));
  EXPECT_THAT(error_of([&] { rope_inv_freq(0, 8); }),
              HasSubstr("rope_inv_freq: theta must be positive, got 0"));
}

TEST(Rope, InPlaceEqualsOutOfPlace) {
  const Tensor x = uniform_tensor({2, 5, 3, 10}, 4);
  const Tensor pos = positions(2, 5, 5);
  const Tensor inv_freq = rope_inv_freq(10000, 6);  // partial: dims 6..9 pass through
  const Tensor out = Tensor::empty(x.shape(), DType::f32);
  rope_forward(x, pos, inv_freq, out);
  const Tensor in_place = x.clone();
  rope_forward(in_place, pos, inv_freq, in_place);
  EXPECT_EQ(in_place.to_f32_vector(), out.to_f32_vector());

  const Tensor dx = Tensor::empty(x.shape(), DType::f32);
  rope_backward(x, pos, inv_freq, dx);
  const Tensor dx_in_place = x.clone();
  rope_backward(dx_in_place, pos, inv_freq, dx_in_place);
  EXPECT_EQ(dx_in_place.to_f32_vector(), dx.to_f32_vector());
}

TEST(Rope, SameBitsForOneAndTwoThreads) {
  const int threads = num_threads();
  const Tensor x = uniform_tensor({3, 17, 5, 16}, 6);
  const Tensor pos = positions(3, 17, 7);
  const Tensor inv_freq = rope_inv_freq(500000, 16);
  std::vector<std::vector<float>> results;
  for (int n : {1, 2}) {
    set_num_threads(n);
    const Tensor out = Tensor::empty(x.shape(), DType::f32);
    rope_forward(x, pos, inv_freq, out);
    results.push_back(out.to_f32_vector());
  }
  set_num_threads(threads);
  EXPECT_EQ(results[0], results[1]);
}

TEST(Rope, InverseFrequenciesAsHuggingFace) {
  // 1 / 10000^(2i / 4) for i = 0, 1.
  EXPECT_EQ(rope_inv_freq(10000, 4).to_f32_vector(), (std::vector<float>{1.0f, 0.01f}));
  const std::vector<float> inv_freq = rope_inv_freq(500000, 128).to_f32_vector();
  ASSERT_EQ(inv_freq.size(), 64u);
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    const double want = 1.0 / std::pow(500000.0, static_cast<double>(2 * i) / 128.0);
    EXPECT_NEAR(inv_freq[i], want, 4e-7 * want) << "i = " << i;
  }
}

}  // namespace
}  // namespace retune::ops
