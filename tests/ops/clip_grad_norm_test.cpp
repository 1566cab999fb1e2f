// What the clip_grad_norm specs cannot show: non-finite norms, skipped and rejected tensors,
// and thread-count independence of the norm.
#include "ops/clip_grad_norm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/rng.h"
#include "core/threads.h"
#include "support/error_of.h"
#include "support/vector_tensor.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(ClipGradNorm, ClipsToMaxNormAndSkipsUndefined) {
  const std::vector<Tensor> grads = {vector_tensor({3.0f}), Tensor(), vector_tensor({0.0f, 4.0f})};
  EXPECT_DOUBLE_EQ(clip_grad_norm(grads, 1.0), 5.0);
  const float coef = static_cast<float>(1.0 / (5.0 + 1e-6));
  EXPECT_EQ(grads[0].to_f32_vector()[0], 3.0f * coef);
  EXPECT_EQ(grads[2].to_f32_vector()[1], 4.0f * coef);
  EXPECT_DOUBLE_EQ(clip_grad_norm({}, 1.0), 0.0);
}

TEST(ClipGradNorm, NonFiniteNormLeavesGradientsUntouched) {
  for (const float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
    const std::vector<Tensor> grads = {vector_tensor({1.0f, bad}), vector_tensor({10.0f})};
    const double norm = clip_grad_norm(grads, 1.0);
    EXPECT_FALSE(std::isfinite(norm));
    EXPECT_EQ(std::isnan(norm), std::isnan(bad));
    EXPECT_EQ(grads[0].to_f32_vector()[0], 1.0f);
    EXPECT_EQ(grads[1].to_f32_vector()[0], 10.0f);
  }
}

TEST(ClipGradNorm, RejectsBadGradientsNamingThem) {
  const std::vector<Tensor> bf16 = {vector_tensor({1.0f}), Tensor::zeros({2}, DType::bf16)};
  EXPECT_EQ(error_of([&] { clip_grad_norm(bf16, 1.0); }),
            "clip_grad_norm: grads[1] is bf16[2] on cpu, expected a contiguous writable f32 "
            "tensor");
  const std::vector<Tensor> strided = {Tensor::zeros({3, 2}, DType::f32).transpose(0, 1)};
  EXPECT_THAT(error_of([&] { clip_grad_norm(strided, 1.0); }),
              HasSubstr("grads[0] is f32[2, 3] on cpu, expected a contiguous"));
}

TEST(ClipGradNorm, OneAndTwoThreadsGiveTheSameBits) {
  const int threads = num_threads();
  Rng rng(7);
  std::vector<float> values((size_t{1} << 20) + 3);
  for (float& value : values) value = static_cast<float>(rng.uniform(-1.0, 1.0));
  double norms[2];
  std::vector<float> clipped[2];
  for (int t = 1; t <= 2; ++t) {
    set_num_threads(t);
    const std::vector<Tensor> grads = {vector_tensor(values)};
    norms[t - 1] = clip_grad_norm(grads, 1.0);
    clipped[t - 1] = grads[0].to_f32_vector();
  }
  set_num_threads(threads);
  EXPECT_EQ(std::memcmp(&norms[0], &norms[1], sizeof(double)), 0);
  EXPECT_EQ(clipped[0], clipped[1]);
}

}  // namespace
}  // namespace retune::ops
