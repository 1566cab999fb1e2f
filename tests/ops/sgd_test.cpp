// What the sgd specs cannot show: rejected inputs, momentum 0 without a buffer, and a run of
// steps against a double-precision loop of the same formulas.
#include "ops/sgd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error_of.h"
#include "support/vector_tensor.h"

namespace retune::ops {
namespace {

using testing::HasSubstr;

TEST(Sgd, RejectsBadInputsNamingThem) {
  const Tensor p = Tensor::zeros({4}, DType::f32);
  const Tensor z = Tensor::zeros({4}, DType::f32);
  auto step_error = [&](const Tensor& grad, const Tensor& buffer, SgdOptions options) {
    return error_of([&] { sgd_step(p, grad, buffer, false, options); });
  };
  EXPECT_EQ(step_error(z, z, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
            "sgd_step: nesterov needs momentum > 0 and dampening 0, got momentum 0.9 and "
            "dampening 0.1");
  EXPECT_THAT(step_error(z, z, {.nesterov = true}), HasSubstr("got momentum 0 and"));
  EXPECT_THAT(step_error(z, Tensor(), {.momentum = 0.9}),
              HasSubstr("sgd_step: momentum_buffer is undefined, expected a contiguous f32[4]"));
  EXPECT_THAT(step_error(Tensor::zeros({5}, DType::f32), z, {}),
              HasSubstr("sgd_step: grad is f32[5] on cpu, expected a contiguous f32[4]"));
  EXPECT_THAT(step_error(z, z, {.lr = -0.1}), HasSubstr("lr is -0.1, expected >= 0"));
  EXPECT_THAT(step_error(z, z, {.momentum = -1}), HasSubstr("momentum is -1, expected >= 0"));
}

TEST(Sgd, NoMomentumNeedsNoBuffer) {
  const Tensor param = vector_tensor({1.0f, 2.0f});
  sgd_step(param, vector_tensor({0.5f, -1.0f}), Tensor(), true, {.lr = 0.1, .weight_decay = 0.5});
  const std::vector<float> p = param.to_f32_vector();
  EXPECT_FLOAT_EQ(p[0], 1.0f - 0.1f * (0.5f + 0.5f * 1.0f));
  EXPECT_FLOAT_EQ(p[1], 2.0f - 0.1f * (-1.0f + 0.5f * 2.0f));
}

// f(p) = sum_i a_i (p_i - c_i)^2 / 2: ten steps with momentum, dampening and Nesterov (in
// turn) against the same formulas in double.
TEST(Sgd, TenStepsOnAQuadraticMatchADoubleLoop) {
  const std::vector<double> a = {1.0, 4.0, 0.25, 2.0};
  const std::vector<double> c = {0.5, -1.0, 2.0, 0.0};
  const std::vector<double> start = {0.0, 1.0, -1.0, 3.0};
  for (const SgdOptions options :
       {SgdOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.2, .weight_decay = 0.01},
        SgdOptions{.lr = 0.1, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true}}) {
    const Tensor param = vector_tensor(std::vector<float>(start.begin(), start.end()));
    const Tensor grad = Tensor::zeros({4}, DType::f32);
    const Tensor buffer = Tensor::zeros({4}, DType::f32);
    std::vector<double> p = start, buf(4);
    for (int step = 0; step < 10; ++step) {
      const float* pf = param.data<float>();
      float* g = grad.mutable_data<float>();
      for (size_t i = 0; i < 4; ++i) g[i] = static_cast<float>(a[i] * (pf[i] - c[i]));
      sgd_step(param, grad, buffer, step == 0, options);
      for (size_t i = 0; i < 4; ++i) {
        double gd = a[i] * (p[i] - c[i]) + options.weight_decay * p[i];
        buf[i] = step == 0 ? gd : options.momentum * buf[i] + (1 - options.dampening) * gd;
        gd = options.nesterov ? gd + options.momentum * buf[i] : buf[i];
        p[i] -= options.lr * gd;
      }
    }
    const std::vector<float> got = param.to_f32_vector();
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], p[i], 1e-5) << i;
  }
}

}  // namespace
}  // namespace retune::ops
