// What the clip_grad_norm specs cannot show: non-finite norms, skipped and rejected tensors,
// and thread-count independence of the norm.
#include "ops/clip_grad_norm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/device.h"
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

// The GPU takes every gradient at once, in launches of up to 128 arrays: 300 gradients of odd
// sizes (one past the largest grid a launch gives an array, 1024 blocks of 256) and undefined
// ones give the CPU's norm and clipped values.
TEST(ClipGradNorm, GpuMatchesTheCpuOverManyTensors) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  Rng rng(11);
  std::vector<Tensor> on_cpu, on_gpu;
  for (int k = 0; k < 300; ++k) {
    const size_t n = k == 150 ? 1024 * 256 * 3 + 5 : static_cast<size_t>(1 + (k * 37) % 5000);
    std::vector<float> values(n);
    for (float& value : values) value = static_cast<float>(rng.uniform(-1.0, 1.0));
    on_cpu.push_back(k % 50 == 7 ? Tensor() : vector_tensor(values));
    on_gpu.push_back(on_cpu.back().defined() ? on_cpu.back().to(gpu) : Tensor());
  }
  const double want = clip_grad_norm(on_cpu, 1.0);
  const double got = clip_grad_norm(on_gpu, 1.0);
  EXPECT_NEAR(got, want, 1e-9 * want);
  for (size_t k = 0; k < on_cpu.size(); ++k) {
    if (!on_cpu[k].defined()) continue;
    const std::vector<float> a = on_cpu[k].to_f32_vector(), b = on_gpu[k].to_f32_vector();
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_NEAR(b[i], a[i], 1e-6f * std::fabs(a[i]) + 1e-12f) << "tensor " << k << " at " << i;
    }
  }
}

}  // namespace
}  // namespace retune::ops
