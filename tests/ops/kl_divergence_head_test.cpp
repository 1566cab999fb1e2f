// What the kl_divergence_head specs cannot show: rejected inputs, a student equal to its teacher,
// the fused pass, gradient accumulation and skipped gradients, 16-bit heads, host labels, and on
// a GPU the zero KL of equal operands and row blocks.
#include "ops/kl_divergence_head.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/device.h"
#include "core/random_tensor.h"
#include "support/error_of.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

Tensor label_tensor(const std::vector<int32_t>& labels) {
  return Tensor::from_vector<int32_t>({static_cast<int64_t>(labels.size())}, DType::i32, labels);
}

// A student and a teacher over the same rows; every third row not scored.
struct Pair {
  Tensor x, weight;                  // the student's [N, C], [V, C]
  Tensor teacher_x, teacher_weight;  // the teacher's
  Tensor labels;                     // [N]
};

Pair random_pair(int64_t N, int64_t C, int64_t V, uint64_t seed) {
  std::vector<int32_t> labels(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) labels[static_cast<size_t>(n)] = n % 3 == 1 ? kIgnoreIndex : 0;
  return {uniform_tensor({N, C}, seed), uniform_tensor({V, C}, seed + 1),
          uniform_tensor({N, C}, seed + 2), uniform_tensor({V, C}, seed + 3), label_tensor(labels)};
}

struct Results {
  Tensor loss, dx, dweight;
};

Tensor scalar(float value) {
  return Tensor::from_vector<float>({1}, DType::f32, std::vector{value});
}

// Forward then backward; dweight starts from a copy of `dweight_start` (undefined: skipped).
Results separate(const Pair& p, float tau, int64_t chunk, const Tensor& dweight_start,
                 float dloss = 1.0f) {
  const int64_t N = p.x.size(0);
  Results r{Tensor::empty({1}, DType::f32), Tensor::empty(p.x.shape(), DType::f32),
            dweight_start.defined() ? dweight_start.clone() : Tensor()};
  const Tensor lse = Tensor::empty({N}, DType::f32);
  const Tensor teacher_lse = Tensor::empty({N}, DType::f32);
  kl_divergence_head_forward(p.x, p.weight, p.teacher_x, p.teacher_weight, p.labels, tau, r.loss,
                             lse, teacher_lse, chunk);
  kl_divergence_head_backward(scalar(dloss), p.x, p.weight, p.teacher_x, p.teacher_weight, p.labels,
                              tau, lse, teacher_lse, r.dx, r.dweight, chunk);
  return r;
}

Results fused(const Pair& p, float tau, int64_t chunk, const Tensor& dweight_start,
              float dloss = 1.0f) {
  Results r{Tensor::empty({1}, DType::f32), Tensor::empty(p.x.shape(), DType::f32),
            dweight_start.defined() ? dweight_start.clone() : Tensor()};
  kl_divergence_head_forward_backward(p.x, p.weight, p.teacher_x, p.teacher_weight, p.labels, tau,
                                      r.loss, r.dx, r.dweight, dloss, chunk);
  return r;
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance, const char* what) {
  const std::vector<float> g = got.to_f32_vector();
  const std::vector<float> w = want.to_f32_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(g[i], w[i], tolerance * (1 + std::abs(w[i]))) << what << " [" << i << "]";
  }
}

void expect_same_bits(const Tensor& got, const Tensor& want, const char* what) {
  ASSERT_EQ(got.nbytes(), want.nbytes()) << what;
  EXPECT_EQ(std::memcmp(got.data<float>(), want.data<float>(), got.nbytes()), 0) << what;
}

TEST(KlDivergenceHead, RejectsBadInputsNamingThem) {
  const Pair p = random_pair(5, 8, 37, 1);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  const Tensor lse = Tensor::empty({5}, DType::f32);
  const auto forward = [&](const Tensor& teacher_x, const Tensor& teacher_weight,
                           const Tensor& labels, float tau, int64_t chunk) {
    return error_of([&] {
      kl_divergence_head_forward(p.x, p.weight, teacher_x, teacher_weight, labels, tau, loss, lse,
                                 lse.clone(), chunk);
    });
  };
  EXPECT_EQ(forward(p.teacher_x, p.teacher_weight, p.labels, 0.0f, 7),
            "kl_divergence_head_forward: temperature is 0, expected a finite number > 0");
  EXPECT_THAT(forward(p.teacher_x, p.teacher_weight, p.labels, -1.0f, 7),
              HasSubstr("temperature is -1, expected a finite number > 0"));
  EXPECT_THAT(forward(uniform_tensor({5, 7}, 2), p.teacher_weight, p.labels, 1.0f, 7),
              HasSubstr("teacher_x is f32[5, 7] on cpu, expected a contiguous f32[5, 8]"));
  EXPECT_THAT(forward(p.teacher_x, uniform_tensor({36, 8}, 2), p.labels, 1.0f, 7),
              HasSubstr("teacher_weight is f32[36, 8] on cpu, expected a contiguous f32, bf16 or "
                        "f16 [37, 8]"));
  EXPECT_THAT(forward(p.teacher_x, p.teacher_weight, label_tensor({0, 1}), 1.0f, 7),
              HasSubstr("labels is i32[2] on cpu, expected a contiguous i32[5]"));
  EXPECT_THAT(forward(p.teacher_x, p.teacher_weight, p.labels, 1.0f, 0),
              HasSubstr("chunk is 0, expected at least 1"));
  const Tensor dx = Tensor::empty({5, 8}, DType::f32);
  EXPECT_THAT(error_of([&] {
                kl_divergence_head_forward_backward(p.x, p.weight, p.teacher_x, p.teacher_weight,
                                                    p.labels, 1.0f, loss, dx,
                                                    Tensor::zeros({37, 9}, DType::f32));
              }),
              HasSubstr("kl_divergence_head_forward_backward: dweight is f32[37, 9] on cpu, "
                        "expected a contiguous f32[37, 8]"));
  EXPECT_THAT(error_of([&] {
                kl_divergence_head_forward_backward(p.x, p.weight, p.teacher_x, p.teacher_weight,
                                                    p.labels, 1.0f, loss, p.teacher_x, Tensor());
              }),
              HasSubstr("dx overlaps teacher_x"));
}

TEST(KlDivergenceHead, StudentEqualToTeacherGivesZeroLossAndGradients) {
  const Pair p = random_pair(7, 8, 41, 3);
  const Pair same{p.x, p.weight, p.x.clone(), p.weight.clone(), p.labels};
  const Pair shared_head{p.x, p.weight, p.x.clone(), p.weight, p.labels};  // a frozen head
  for (const Pair& pair : {same, shared_head}) {
    for (const float tau : {1.0f, 2.5f}) {
      const Results r = fused(pair, tau, 9, Tensor::zeros({41, 8}, DType::f32));
      EXPECT_EQ(r.loss.to_f32_vector()[0], 0.0f);
      for (const float value : r.dx.to_f32_vector()) ASSERT_EQ(value, 0.0f);
      for (const float value : r.dweight.to_f32_vector()) ASSERT_EQ(value, 0.0f);
    }
  }
  // And a student unlike its teacher has a positive KL.
  EXPECT_GT(fused(p, 1.0f, 9, Tensor()).loss.to_f32_vector()[0], 0.0f);
}

TEST(KlDivergenceHead, FusedEqualsForwardThenBackward) {
  for (const int64_t chunk : {int64_t{7}, int64_t{64}, kCrossEntropyHeadChunk}) {
    const Pair p = random_pair(13, 24, 300, 7);
    const Tensor start = uniform_tensor({300, 24}, 8);  // dweight accumulates onto this
    const float dloss = chunk == 64 ? 0.25f : 1.0f;
    const Results want = separate(p, 1.5f, chunk, start, dloss);
    const Results got = fused(p, 1.5f, chunk, start, dloss);
    expect_near(got.loss, want.loss, 1e-6, "loss");
    expect_near(got.dx, want.dx, 1e-6, "dx");
    expect_near(got.dweight, want.dweight, 1e-6, "dweight");
  }
}

TEST(KlDivergenceHead, UndefinedGradientsAreSkipped) {
  const Pair p = random_pair(9, 12, 50, 21);
  const Results both = fused(p, 1.0f, 7, Tensor::zeros({50, 12}, DType::f32));
  const Results no_dweight = fused(p, 1.0f, 7, Tensor());
  expect_same_bits(no_dweight.dx, both.dx, "dx");
  const Tensor dweight = Tensor::zeros({50, 12}, DType::f32);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  kl_divergence_head_forward_backward(p.x, p.weight, p.teacher_x, p.teacher_weight, p.labels, 1.0f,
                                      loss, Tensor(), dweight, 1.0f, 7);
  expect_same_bits(dweight, both.dweight, "dweight");
  expect_same_bits(loss, both.loss, "loss");
}

TEST(KlDivergenceHead, SixteenBitHeadsEqualF32OnConvertedHeads) {
  const Pair p = random_pair(9, 16, 100, 11);
  for (const DType dtype : {DType::bf16, DType::f16}) {
    const Pair narrow{p.x, p.weight.to(dtype), p.teacher_x, p.teacher_weight.to(dtype), p.labels};
    const Pair wide{p.x, narrow.weight.to(DType::f32), p.teacher_x,
                    narrow.teacher_weight.to(DType::f32), p.labels};
    const Results got = fused(narrow, 2.0f, 7, Tensor());
    const Results want = fused(wide, 2.0f, 7, Tensor());
    expect_same_bits(got.loss, want.loss, "loss");
    expect_same_bits(got.dx, want.dx, "dx");
  }
}

// The host copy of the labels (a training step has one; a GPU counts the scored rows from it) is
// checked: the same bits with a good one, a copy of the wrong shape or dtype refused.
TEST(KlDivergenceHead, FusedPassChecksTheHostLabelsWhenGiven) {
  const Pair p = random_pair(5, 8, 37, 13);
  const Tensor loss = Tensor::empty({1}, DType::f32);
  const Tensor dx = Tensor::empty({5, 8}, DType::f32);
  const auto fused_with = [&](const Tensor& host_labels) {
    return error_of([&] {
      kl_divergence_head_forward_backward(p.x, p.weight, p.teacher_x, p.teacher_weight, p.labels,
                                          1.0f, loss, dx, Tensor(), 1.0f, 7, host_labels);
    });
  };
  EXPECT_EQ(fused_with(p.labels.clone()), "no error");
  const Results without = fused(p, 1.0f, 7, Tensor());
  expect_same_bits(loss, without.loss, "loss");
  expect_same_bits(dx, without.dx, "dx");
  EXPECT_THAT(fused_with(label_tensor({0, 1, 2, 3})),
              HasSubstr("kl_divergence_head_forward_backward: host_labels is i32[4] on cpu, "
                        "expected a contiguous i32[5] on cpu"));
  EXPECT_THAT(fused_with(Tensor::zeros({5}, DType::f32)),
              HasSubstr("host_labels is f32[5] on cpu, expected a contiguous i32[5] on cpu"));
}

// The fused pass on `device` (the pair's tensors copied there), its results back on the CPU.
Results fused_on(Device device, const Pair& p, float tau) {
  const Tensor loss = Tensor::empty({1}, DType::f32, device);
  const Tensor dx = Tensor::empty(p.x.shape(), DType::f32, device);
  const Tensor dweight = Tensor::zeros(p.weight.shape(), DType::f32, device);
  const Tensor weight = p.weight.to(device);
  kl_divergence_head_forward_backward(p.x.to(device), weight, p.teacher_x.to(device),
                                      p.teacher_weight.to(device), p.labels.to(device), tau, loss,
                                      dx, dweight);
  return {loss.to(Device::cpu()), dx.to(Device::cpu()), dweight.to(Device::cpu())};
}

// On a GPU equal operands give equal logits (one product each, the same bits): a student equal to
// its teacher has a KL and gradients of exactly 0 there too, with a copy of the head or the head
// itself (frozen) as the teacher's.
TEST(KlDivergenceHead, GpuStudentEqualToTeacherGivesZeroLossAndGradients) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Pair p = random_pair(7, 8, 41, 3);
  for (const bool shared_head : {false, true}) {
    const Tensor loss = Tensor::empty({1}, DType::f32, gpu);
    const Tensor dx = Tensor::empty(p.x.shape(), DType::f32, gpu);
    const Tensor dweight = Tensor::zeros(p.weight.shape(), DType::f32, gpu);
    const Tensor weight = p.weight.to(gpu);
    const Tensor x = p.x.to(gpu);
    kl_divergence_head_forward_backward(x, weight, x.clone(),
                                        shared_head ? weight : p.weight.to(gpu), p.labels.to(gpu),
                                        2.5f, loss, dx, dweight);
    EXPECT_EQ(loss.to_f32_vector()[0], 0.0f) << shared_head;
    for (const float value : dx.to_f32_vector()) ASSERT_EQ(value, 0.0f) << shared_head;
    for (const float value : dweight.to_f32_vector()) ASSERT_EQ(value, 0.0f) << shared_head;
  }
}

// The largest |value| of a tensor's elements.
double largest(const Tensor& t) {
  double result = 0;
  for (const float value : t.to_f32_vector()) result = std::max(result, double{std::fabs(value)});
  return result;
}

// 1100 rows of a 40000-class vocabulary take two row blocks on the GPU (1024 rows, then 76): the
// loss and gradients match the CPU's within the bf16 products' tolerance.
TEST(KlDivergenceHead, GpuRowBlocksMatchTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Pair p = random_pair(1100, 16, 40000, 5);
  const Results want = fused_on(Device::cpu(), p, 1.5f);
  const Results got = fused_on(gpu, p, 1.5f);
  const double loss = want.loss.to_f32_vector()[0];
  EXPECT_NEAR(got.loss.to_f32_vector()[0], loss, 2e-2 * loss);
  expect_near(got.dx, want.dx, 3e-2 * largest(want.dx), "dx");
  expect_near(got.dweight, want.dweight, 3e-2 * largest(want.dweight), "dweight");
}

}  // namespace
}  // namespace retune::ops
