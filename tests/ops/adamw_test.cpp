// What the adamw specs cannot show: rejected inputs, decoupled weight decay, and a run of steps
// against a double-precision loop of the same formulas.
#include "ops/adamw.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "support/error_of.h"
#include "support/vector_tensor.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(AdamW, RejectsBadInputsNamingThem) {
  const Tensor p = Tensor::zeros({2, 3}, DType::f32);
  const Tensor z = Tensor::zeros({2, 3}, DType::f32);
  auto step_error = [&](const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                        int64_t step, AdamWOptions options) {
    return error_of([&] { adamw_step(param, grad, m, v, step, options); });
  };
  EXPECT_EQ(step_error(p, z, Tensor::zeros({6}, DType::f32), z, 1, {}),
            "adamw_step: m is f32[6] on cpu, expected a contiguous f32[2, 3] on cpu");
  EXPECT_THAT(step_error(p, z.to(DType::bf16), z, z, 1, {}),
              HasSubstr("adamw_step: grad is bf16[2, 3] on cpu, expected a contiguous f32[2, 3]"));
  EXPECT_THAT(step_error(p, z, z, Tensor(), 1, {}), HasSubstr("v is undefined"));
  EXPECT_THAT(
      step_error(p, z, z, Tensor::zeros({3, 2}, DType::f32).transpose(0, 1), 1, {}),
      HasSubstr("adamw_step: v is f32[2, 3] on cpu (non-contiguous), expected a contiguous"));
  EXPECT_THAT(step_error(p.to(DType::f16), z, z, z, 1, {}),
              HasSubstr("adamw_step: param is f16[2, 3] on cpu, expected a contiguous f32"));
  EXPECT_THAT(step_error(p, z, z, z, 0, {}),
              HasSubstr("adamw_step: step is 0, expected the 1-based step number"));
  EXPECT_THAT(step_error(p, z, z, z, 1, {.beta1 = 1.0}),
              HasSubstr("beta1 is 1, expected in [0, 1)"));
  EXPECT_THAT(step_error(p, z, z, z, 1, {.beta2 = -0.5}), HasSubstr("beta2 is -0.5"));
  EXPECT_THAT(step_error(p, z, z, z, 1, {.lr = -1}), HasSubstr("lr is -1, expected >= 0"));
  EXPECT_THAT(step_error(p, z, z, z, 1, {.eps = NAN}), HasSubstr("eps is nan"));
  EXPECT_THAT(step_error(p, z, z, z, 1, {.weight_decay = -0.1}),
              HasSubstr("weight_decay is -0.1, expected >= 0"));
}

TEST(AdamW, WeightDecayIsDecoupled) {
  // No gradient and no moments: only the decay p *= 1 - lr * weight_decay acts.
  const Tensor param = vector_tensor({1.0f, -2.0f, 0.5f});
  const Tensor zeros = Tensor::zeros({3}, DType::f32);
  adamw_step(param, zeros, zeros.clone(), zeros.clone(), 3, {.lr = 0.1, .weight_decay = 0.5});
  const std::vector<float> p = param.to_f32_vector();
  EXPECT_FLOAT_EQ(p[0], 0.95f);
  EXPECT_FLOAT_EQ(p[1], -1.9f);
  EXPECT_FLOAT_EQ(p[2], 0.475f);
}

// f(p) = sum_i a_i (p_i - c_i)^2 / 2: ten steps of the op against the same formulas in double.
TEST(AdamW, TenStepsOnAQuadraticMatchADoubleLoop) {
  const std::vector<double> a = {1.0, 4.0, 0.25, 2.0, 10.0};
  const std::vector<double> c = {0.5, -1.0, 2.0, 0.0, 0.1};
  const std::vector<double> start = {0.0, 1.0, -1.0, 3.0, 0.2};
  const AdamWOptions options{.lr = 0.05, .weight_decay = 0.1};
  const size_t n = a.size();

  const Tensor param = vector_tensor(std::vector<float>(start.begin(), start.end()));
  const Tensor grad = Tensor::zeros({5}, DType::f32);
  const Tensor m = Tensor::zeros({5}, DType::f32);
  const Tensor v = Tensor::zeros({5}, DType::f32);
  std::vector<double> p = start, md(n), vd(n);
  for (int64_t t = 1; t <= 10; ++t) {
    const float* pf = param.data<float>();
    float* g = grad.mutable_data<float>();
    for (size_t i = 0; i < n; ++i) g[i] = static_cast<float>(a[i] * (pf[i] - c[i]));
    adamw_step(param, grad, m, v, t, options);

    for (size_t i = 0; i < n; ++i) {
      const double gd = a[i] * (p[i] - c[i]);
      p[i] -= options.lr * options.weight_decay * p[i];
      md[i] = options.beta1 * md[i] + (1 - options.beta1) * gd;
      vd[i] = options.beta2 * vd[i] + (1 - options.beta2) * gd * gd;
      const double m_hat = md[i] / (1 - std::pow(options.beta1, t));
      const double v_hat = vd[i] / (1 - std::pow(options.beta2, t));
      p[i] -= options.lr * m_hat / (std::sqrt(v_hat) + options.eps);
    }
  }
  const std::vector<float> got = param.to_f32_vector();
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(got[i], p[i], 1e-6) << i;
    EXPECT_NE(got[i], start[i]) << i;
  }
}

// adamw_steps gives each tensor adamw_step's result with its own step and weight decay, across
// the GPU's launch batches (more tensors than one launch takes, one of them empty).
void expect_batched_steps_match_single_ones(Device device) {
  const int count = 45;  // one GPU launch takes 40
  std::vector<AdamWTensors> batched;
  std::vector<AdamWTensors> single;
  for (int i = 0; i < count; ++i) {
    const int64_t n = i == 3 ? 0 : 1 + 37 * (i % 7);
    auto drawn = [&](uint64_t seed, double lo) {
      return uniform_tensor({n}, 100 * static_cast<uint64_t>(i) + seed, lo, 1.0).to(device);
    };
    // v >= 0: a running mean of squares.
    const AdamWTensors t{drawn(1, -1), drawn(2, -1), drawn(3, -1),
                         drawn(4, 0),  1 + i % 5,    0.1 * (i % 3)};
    batched.push_back(t);
    single.push_back({t.param.clone(), t.grad, t.m.clone(), t.v.clone(), t.step, t.weight_decay});
  }
  const AdamWOptions options{.lr = 0.01, .weight_decay = 99.0};  // replaced by each tensor's
  adamw_steps(batched, options);
  for (const AdamWTensors& t : single) {
    AdamWOptions own = options;
    own.weight_decay = t.weight_decay;
    adamw_step(t.param, t.grad, t.m, t.v, t.step, own);
  }
  for (int i = 0; i < count; ++i) {
    const auto at = static_cast<size_t>(i);
    EXPECT_EQ(batched[at].param.to_f32_vector(), single[at].param.to_f32_vector()) << i;
    EXPECT_EQ(batched[at].m.to_f32_vector(), single[at].m.to_f32_vector()) << i;
    EXPECT_EQ(batched[at].v.to_f32_vector(), single[at].v.to_f32_vector()) << i;
  }
}

TEST(AdamW, BatchedStepsMatchSingleOnes) {
  expect_batched_steps_match_single_ones(Device::cpu());
}

TEST(AdamW, GpuBatchedStepsMatchSingleOnes) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  activate_device(Device::cuda(0));
  expect_batched_steps_match_single_ones(Device::cuda(0));
}

}  // namespace
}  // namespace retune::ops
