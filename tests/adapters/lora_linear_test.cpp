// LoraLinear against a double-precision reference written here from the formulas of
// adapters/lora_linear.h, and its backward against central finite differences of that reference.
#include "adapters/lora_linear.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <ostream>
#include <string>

#include "core/device.h"
#include "core/random_tensor.h"
#include "core/rng.h"
#include "support/double_reference.h"
#include "support/error_of.h"
#include "support/l2_error.h"

namespace retune::adapters {
namespace {

using testing::HasSubstr;

// Outputs are O(1) sums of a few f32 products.
constexpr double kTolerance = 1e-4;

void expect_near(const Tensor& got, const std::vector<double>& want, const std::string& what) {
  retune::expect_near(got, want, kTolerance, what);
}

size_t at(int64_t i) {
  return static_cast<size_t>(i);
}

// The layer in double: y = x W^T + (c - 1) (u W^T) + c s (u A^T) B^T with u = mask * x and
// c = m / n (LoRA: c = 1): the header's DoRA with dropout, and its other forms when mask = 1.
// n is given (the adapter detaches it), so finite differences see it as a constant.
struct Reference {
  int64_t N, I, O, r;
  double s;
  bool dora;
  std::vector<double> w, a, b, m, n, mask, x;

  std::vector<double> output() const {
    std::vector<double> y(at(N * O));
    for (int64_t t = 0; t < N; ++t) {
      std::vector<double> u(at(I)), ua(at(r));
      for (int64_t i = 0; i < I; ++i) u[at(i)] = mask[at(t * I + i)] * x[at(t * I + i)];
      for (int64_t k = 0; k < r; ++k) {
        for (int64_t i = 0; i < I; ++i) ua[at(k)] += u[at(i)] * a[at(k * I + i)];
      }
      for (int64_t o = 0; o < O; ++o) {
        double base_x = 0, base_u = 0, lora = 0;
        for (int64_t i = 0; i < I; ++i) {
          base_x += x[at(t * I + i)] * w[at(o * I + i)];
          base_u += u[at(i)] * w[at(o * I + i)];
        }
        for (int64_t k = 0; k < r; ++k) lora += b[at(o * r + k)] * ua[at(k)];
        const double c = dora ? m[at(o)] / n[at(o)] : 1.0;
        y[at(t * O + o)] = base_x + (c - 1) * base_u + c * s * lora;
      }
    }
    return y;
  }

  // ||W + s B A|| per row.
  std::vector<double> norms() const {
    std::vector<double> result(at(O));
    for (int64_t o = 0; o < O; ++o) {
      double sum = 0;
      for (int64_t i = 0; i < I; ++i) {
        double v = w[at(o * I + i)];
        for (int64_t k = 0; k < r; ++k) v += s * b[at(o * r + k)] * a[at(k * I + i)];
        sum += v * v;
      }
      result[at(o)] = std::sqrt(sum);
    }
    return result;
  }

  // x W^T, as the model hands it to the adapter.
  Tensor base_product() const { return retune::base_product(x, w, N, I, O); }
};

struct Variant {
  std::string name;
  bool use_rslora;
  bool use_dora;
  float dropout;
};

void PrintTo(const Variant& v, std::ostream* os) {
  *os << v.name;
}

constexpr uint64_t kDropoutSeed = 7;

// A layer with random non-zero A, B (and m) and an input x, with the matching reference.
struct Case {
  static constexpr int64_t N = 4, I = 6, O = 5, r = 3;
  Variant variant;
  Tensor x = uniform_tensor({N, I}, 2);
  LoraLinear layer;
  Reference ref;

  explicit Case(const Variant& v, const Tensor& weight = uniform_tensor({O, I}, 1))
      : variant(v),
        layer(weight, {.r = r,
                       .alpha = 2.0f,
                       .dropout = v.dropout,
                       .use_rslora = v.use_rslora,
                       .use_dora = v.use_dora,
                       .dropout_seed = kDropoutSeed}) {
    layer.set_parameter("lora_A.weight", uniform_tensor({r, I}, 3));
    layer.set_parameter("lora_B.weight", uniform_tensor({O, r}, 4));
    if (v.use_dora) layer.set_parameter("lora_magnitude_vector", uniform_tensor({O}, 5, 0.5, 2));
    ref = {N, I, O, r, layer.scaling(), v.use_dora};
    ref.w = doubles(weight);
    ref.a = value(0);
    ref.b = value(1);
    ref.m = value(2);
    ref.mask.assign(at(N * I), 1.0);
    ref.x = doubles(x);
    ref.n = ref.norms();
  }

  // The i-th of parameters() as doubles (empty when there is none).
  std::vector<double> value(size_t i) const {
    const std::vector<AdapterParameter> params = layer.parameters();
    return i < params.size() ? doubles(params[i].value) : std::vector<double>();
  }
  Tensor grad(size_t i) const { return layer.parameters().at(i).grad; }

  // The reference's mask for the forward() at `offset`, as ops/dropout.h defines it.
  void use_mask(uint64_t offset) {
    const float p = variant.dropout;
    for (int64_t i = 0; i < N * I; ++i) {
      ref.mask[at(i)] = counter_uniform(kDropoutSeed, offset + at(i)) >= p ? 1.0 / (1.0 - p) : 0.0;
    }
  }
};

// forward() and backward() of a fresh setup: z, the parameter gradients, the returned gradient
// of the base product and the whole dx (the adapter's plus the model's base path) against the
// reference and its finite differences, for loss = <dout, y>.
void check_training_step(Case& s) {
  s.use_mask(0);
  const Tensor z = s.ref.base_product();
  s.layer.forward(s.x, z);
  expect_near(z, s.ref.output(), "forward z");

  const Tensor dout = uniform_tensor({Case::N, Case::O}, 6);
  const Tensor dx = Tensor::empty(s.x.shape(), DType::f32);
  const Tensor dz_base = s.layer.backward(s.x, dout, dx, false);

  const std::vector<double> dy = doubles(dout);
  const auto loss = [&] {
    const std::vector<double> y = s.ref.output();
    double sum = 0;
    for (size_t i = 0; i < y.size(); ++i) sum += dy[i] * y[i];
    return sum;
  };
  expect_near(s.grad(0), finite_differences(s.ref.a, loss), "dA");
  expect_near(s.grad(1), finite_differences(s.ref.b, loss), "dB");
  if (s.variant.use_dora) expect_near(s.grad(2), finite_differences(s.ref.m, loss), "dm");

  // The interface: dz for LoRA and for DoRA with dropout, c * dz for DoRA without.
  std::vector<double> want_dz = dy;
  if (s.variant.use_dora && s.variant.dropout == 0) {
    for (int64_t i = 0; i < dout.numel(); ++i) {
      const size_t o = at(i % Case::O);
      want_dz[at(i)] *= s.ref.m[o] / s.ref.n[o];
    }
  }
  expect_near(dz_base, want_dz, "returned dz");

  std::vector<double> total_dx = doubles(dx);
  const std::vector<double> dzb = doubles(dz_base);
  for (int64_t t = 0; t < Case::N; ++t) {
    for (int64_t i = 0; i < Case::I; ++i) {
      for (int64_t o = 0; o < Case::O; ++o) {
        total_dx[at(t * Case::I + i)] += dzb[at(t * Case::O + o)] * s.ref.w[at(o * Case::I + i)];
      }
    }
  }
  const std::vector<float> total(total_dx.begin(), total_dx.end());
  expect_near(Tensor::from_vector<float>(dx.shape(), DType::f32, total),
              finite_differences(s.ref.x, loss), "dx");

  // The same step again (the same dropout mask), its dx added to what dx holds.
  const Tensor held = uniform_tensor(s.x.shape(), 7);
  std::vector<double> want_sum = doubles(held);
  const std::vector<double> once = doubles(dx);
  for (size_t i = 0; i < want_sum.size(); ++i) want_sum[i] += once[i];
  s.layer.set_dropout_offset(0);
  s.layer.forward(s.x, s.ref.base_product());
  s.layer.backward(s.x, dout, held, true);
  expect_near(held, want_sum, "dx accumulated");
}

// x (W + merged_delta())^T equals apply()'s output.
void check_merged_delta(const Case& s) {
  const Tensor z = s.ref.base_product();
  s.layer.apply(s.x, z);
  Reference merged = s.ref;
  const std::vector<double> delta = doubles(s.layer.merged_delta());
  for (size_t i = 0; i < delta.size(); ++i) merged.w[i] += delta[i];
  expect_near(z, doubles(merged.base_product()), "merged");
}

class LoraLinearVariants : public testing::TestWithParam<Variant> {};

TEST_P(LoraLinearVariants, ApplyMatchesTheReferenceWithoutDropout) {
  const Case s(GetParam());
  const Tensor z = s.ref.base_product();
  s.layer.apply(s.x, z);
  expect_near(z, s.ref.output(), "apply z");
}

TEST_P(LoraLinearVariants, ForwardAndBackwardMatchTheReference) {
  Case s(GetParam());
  check_training_step(s);
}

TEST_P(LoraLinearVariants, MergedDeltaGivesApplysOutput) {
  check_merged_delta(Case(GetParam()));
}

TEST_P(LoraLinearVariants, EachForwardDrawsTheNextMask) {
  Case s(GetParam());
  for (const uint64_t offset : {uint64_t{0}, uint64_t{Case::N * Case::I}}) {
    s.use_mask(offset);
    const Tensor z = s.ref.base_product();
    s.layer.forward(s.x, z);
    expect_near(z, s.ref.output(), "offset " + std::to_string(offset));
  }
}

// forward_term() writes LoRA's term alone (the model adds the base product after) and keeps what
// forward() keeps; DoRA's change is no term: it declines, touching nothing.
TEST_P(LoraLinearVariants, ForwardTermPlusTheBaseProductIsForward) {
  Case s(GetParam());
  s.use_mask(0);
  const Tensor before = uniform_tensor({Case::N, Case::O}, 9);
  const Tensor z = before.clone();
  const Tensor dout = uniform_tensor({Case::N, Case::O}, 6);
  const Tensor dx = Tensor::empty(s.x.shape(), DType::f32);
  if (s.variant.use_dora) {
    EXPECT_FALSE(s.layer.forward_term(s.x, z));
    expect_near(z, doubles(before), "z");
    EXPECT_THAT(error_of([&] { s.layer.backward(s.x, dout, dx, false); }),
                HasSubstr("no forward() to differentiate"));
    return;
  }
  ASSERT_TRUE(s.layer.forward_term(s.x, z));
  std::vector<double> sum = doubles(z);
  const std::vector<double> base = doubles(s.ref.base_product());
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += base[i];
  expect_near(
      Tensor::from_vector<float>(z.shape(), DType::f32, std::vector<float>(sum.begin(), sum.end())),
      s.ref.output(), "term + base");
  s.layer.backward(s.x, dout, dx, false);

  Case t(GetParam());
  t.layer.forward(t.x, t.ref.base_product());
  const Tensor want_dx = Tensor::empty(t.x.shape(), DType::f32);
  t.layer.backward(t.x, dout, want_dx, false);
  expect_near(dx, doubles(want_dx), "dx");
  expect_near(s.grad(0), doubles(t.grad(0)), "dA");
  expect_near(s.grad(1), doubles(t.grad(1)), "dB");
  EXPECT_EQ(s.layer.dropout_offset(), t.layer.dropout_offset());
}

INSTANTIATE_TEST_SUITE_P(LoraVariants, LoraLinearVariants,
                         testing::Values(Variant{"lora", false, false, 0.0f},
                                         Variant{"rslora", true, false, 0.0f},
                                         Variant{"dora", false, true, 0.0f},
                                         Variant{"lora_dropout", false, false, 0.4f},
                                         Variant{"dora_dropout", false, true, 0.4f},
                                         Variant{"rslora_dora_dropout", true, true, 0.4f}),
                         [](const auto& param_info) { return param_info.param.name; });

const Variant kDoraDropout{"dora_dropout", false, true, 0.4f};

TEST(LoraLinear, Conv1DWeightGoesInAsATransposedView) {
  // GPT-2 stores [I, O]; A stays [r, I] and B [O, r].
  const Tensor stored = uniform_tensor({Case::I, Case::O}, 8);
  Case s(kDoraDropout, stored.transpose(0, 1));
  EXPECT_EQ(s.grad(0).shape(), (Shape{Case::r, Case::I}));
  EXPECT_EQ(s.grad(1).shape(), (Shape{Case::O, Case::r}));
  check_merged_delta(s);
  check_training_step(s);
}

TEST(LoraLinear, Bf16WeightIsReadAsItsF32Values) {
  Case s(kDoraDropout, uniform_tensor({Case::O, Case::I}, 9).to(DType::bf16));
  check_merged_delta(s);
  check_training_step(s);
}

TEST(LoraLinear, IsTheIdentityAtInit) {
  const Tensor w = uniform_tensor({5, 7}, 10), x = uniform_tensor({3, 7}, 11);
  for (const bool dora : {false, true}) {
    LoraLinear layer(w, {.r = 4, .alpha = 16.0f, .dropout = 0.5f, .use_dora = dora});
    const Tensor z = uniform_tensor({3, 5}, 12);
    const std::vector<float> before = z.to_f32_vector();
    layer.apply(x, z);
    EXPECT_EQ(z.to_f32_vector(), before) << "apply, dora " << dora;
    layer.forward(x, z);
    EXPECT_EQ(z.to_f32_vector(), before) << "forward, dora " << dora;
    for (float v : layer.merged_delta().to_f32_vector()) EXPECT_EQ(v, 0.0f);
  }
  // m = ||W|| per row.
  const LoraLinear dora(w, {.use_dora = true});
  const std::vector<float> wv = w.to_f32_vector();
  const std::vector<float> m = dora.parameters().at(2).value.to_f32_vector();
  for (size_t o = 0; o < 5; ++o) {
    double sum = 0;
    for (size_t i = 0; i < 7; ++i) sum += double{wv[o * 7 + i]} * wv[o * 7 + i];
    EXPECT_NEAR(m[o], std::sqrt(sum), 1e-6) << o;
  }
}

TEST(LoraLinear, InitDrawsPeftsDistributionsFromTheSeed) {
  const Tensor w = Tensor::zeros({3, 4000}, DType::f32);
  const auto draw = [&](LoraInit init, uint64_t seed) {
    const LoraLinear layer(w, {.r = 4, .init = init, .init_seed = seed});
    const std::vector<AdapterParameter> params = layer.parameters();
    for (float v : params[1].value.to_f32_vector()) EXPECT_EQ(v, 0.0f);  // B = 0
    return params[0].value.to_f32_vector();
  };
  // Kaiming-uniform with a = sqrt(5) on [r, I]: U(-1/sqrt(I), 1/sqrt(I)).
  const std::vector<float> a = draw(LoraInit::kaiming_uniform, 1);
  const float bound = 1.0f / std::sqrt(4000.0f);
  float max = 0;
  for (float v : a) max = std::max(max, std::abs(v));
  EXPECT_LE(max, bound);
  EXPECT_GT(max, 0.99f * bound);
  EXPECT_EQ(draw(LoraInit::kaiming_uniform, 1), a);
  EXPECT_NE(draw(LoraInit::kaiming_uniform, 2), a);
  // Gaussian: std 1/r. 16000 draws: the standard errors of the sample mean and std are 0.002
  // and 0.0014; the bounds are 5 of them.
  double sum = 0, squares = 0;
  const std::vector<float> g = draw(LoraInit::gaussian, 1);
  for (float v : g) {
    sum += v;
    squares += double{v} * v;
  }
  const double mean = sum / static_cast<double>(g.size());
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(g.size()) - mean * mean), 0.25, 0.007);
}

TEST(LoraLinear, GradientsAccumulateUntilZeroGrad) {
  Case s({"dora", false, true, 0.0f});
  const Tensor dout = uniform_tensor({Case::N, Case::O}, 13);
  std::vector<std::vector<float>> once;
  for (int step = 0; step < 2; ++step) {
    s.layer.forward(s.x, s.ref.base_product());
    s.layer.backward(s.x, dout, Tensor(), false);  // dx undefined: skipped
    if (step == 0) {
      for (size_t i = 0; i < 3; ++i) once.push_back(s.grad(i).to_f32_vector());
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    std::vector<double> twice(once[i].begin(), once[i].end());
    for (double& v : twice) v *= 2;
    expect_near(s.grad(i), twice, "grad " + std::to_string(i));
  }
  s.layer.zero_grad();
  for (size_t i = 0; i < 3; ++i) {
    for (float v : s.grad(i).to_f32_vector()) EXPECT_EQ(v, 0.0f);
  }
}

// A model's bf16 activations (x, z, dz and dx in bf16, as on a GPU), with dropout and dx
// accumulating: the same as f32 activations holding the same values, within bf16's rounding of
// z, dx and the adapter's [N, r] products (kept in bf16 then). DoRA takes f32 only.
TEST(LoraLinear, Bf16ActivationsMatchF32OnesOfTheSameValues) {
  const Tensor w = uniform_tensor({7, 6}, 21);
  const LoraOptions options{.r = 3, .alpha = 6, .dropout = 0.25f, .dropout_seed = 5};
  const Tensor x = uniform_tensor({9, 6}, 22).to(DType::bf16);
  const Tensor dz = uniform_tensor({9, 7}, 23).to(DType::bf16);
  const Tensor z0 = uniform_tensor({9, 7}, 24).to(DType::bf16);
  const Tensor dx0 = uniform_tensor({9, 6}, 25).to(DType::bf16);
  // One forward and backward with activations of `dtype`: z, dx and the parameters' gradients.
  const auto run = [&](DType dtype) {
    LoraLinear layer(w, options);
    layer.set_parameter("lora_B.weight", uniform_tensor({7, 3}, 26));
    const Tensor z = z0.to(dtype), dx = dx0.to(dtype);
    layer.forward(x.to(dtype), z);
    layer.backward(x.to(dtype), dz.to(dtype), dx, true);
    std::vector<std::vector<float>> got{z.to_f32_vector(), dx.to_f32_vector()};
    for (const AdapterParameter& p : layer.parameters()) got.push_back(p.grad.to_f32_vector());
    return got;
  };
  const auto f32 = run(DType::f32), bf16 = run(DType::bf16);
  ASSERT_EQ(bf16.size(), f32.size());
  for (size_t i = 0; i < f32.size(); ++i) {
    EXPECT_LT(relative_l2_error(bf16[i], f32[i]), 1e-2) << "output " << i;
    EXPECT_GT(l2_norm(f32[i]), 0) << "output " << i;
  }
  LoraLinear dora(w, {.r = 3, .use_dora = true});
  EXPECT_FALSE(dora.takes_bf16_activations());
  EXPECT_THAT(error_of([&] { dora.forward(x, z0.to(DType::f32)); }),
              testing::HasSubstr("LoraLinear::forward: x is bf16[9, 6] on cpu, expected a "
                                 "contiguous f32[9, 6]"));
}

// move_to views the model's weight where it moved: the same shape on the same device.
TEST(LoraLinear, MoveToTakesTheModelsWeightThere) {
  Case s(Variant{"dora", false, true, 0.0f});
  EXPECT_THAT(
      error_of([&] {
        s.layer.move_to(Device::cpu(), uniform_tensor({Case::I, Case::O}, 1));
      }),
      HasSubstr("LoraLinear::move_to: the weight is f32[6, 5] on cpu, expected f32[5, 6] on "
                "cpu with strides (6, 1)"));
  // The same shape in another layout (a square Conv1D weight the wrong way round) is refused.
  LoraLinear square(uniform_tensor({4, 4}, 1), {.r = 2});
  EXPECT_THAT(error_of([&] {
                square.move_to(Device::cpu(), uniform_tensor({4, 4}, 1).transpose(0, 1));
              }),
              HasSubstr("expected f32[4, 4] on cpu with strides (4, 1)"));
  // Another weight: DoRA's norms are now of it.
  const Tensor other = uniform_tensor({Case::O, Case::I}, 9);
  s.layer.move_to(Device::cpu(), other);
  s.ref.w = doubles(other);
  s.ref.n = s.ref.norms();
  const Tensor z = s.ref.base_product();
  s.layer.apply(s.x, z);
  expect_near(z, s.ref.output(), "apply after move_to");
}

// On a GPU DoRA (ops/dora.h there) gives the CPU's output, returned gradient, dx and parameter
// gradients, with and without dropout, within the bf16 products' error.
TEST(LoraLinear, GpuDoraMatchesTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  for (const float dropout : {0.0f, 0.3f}) {
    // One forward and backward of a fresh layer on `device`: z, the returned dz, dx and the
    // parameters' gradients.
    const auto run = [&](Device device) {
      Case s(Variant{"dora", false, true, dropout});
      if (!device.is_cpu())
        s.layer.move_to(device, uniform_tensor({Case::O, Case::I}, 1).to(device));
      const Tensor x = s.x.to(device);
      const Tensor z = s.ref.base_product().to(device);
      s.layer.forward(x, z);
      const Tensor dx = Tensor::empty(x.shape(), DType::f32, device);
      const Tensor dz =
          s.layer.backward(x, uniform_tensor({Case::N, Case::O}, 6).to(device), dx, false);
      std::vector<std::vector<float>> got{z.to_f32_vector(), dz.to_f32_vector(),
                                          dx.to_f32_vector()};
      for (const AdapterParameter& p : s.layer.parameters()) got.push_back(p.grad.to_f32_vector());
      return got;
    };
    const auto want = run(Device::cpu()), got = run(gpu);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_LT(relative_l2_error(got[i], want[i]), 2e-2)
          << "output " << i << " dropout " << dropout;
      EXPECT_GT(l2_norm(want[i]), 0) << "output " << i;
    }
  }
}

TEST(LoraLinear, RejectsBadArgumentsNamingThem) {
  const Tensor w = uniform_tensor({5, 6}, 14);
  EXPECT_EQ(error_of([&] { (void)LoraLinear(w, {.r = 0}); }), "LoraLinear: r is 0, expected >= 1");
  EXPECT_EQ(error_of([&] { (void)LoraLinear(w, {.dropout = 1.5f}); }),
            "LoraLinear: dropout is 1.5, expected a probability in [0, 1]");
  EXPECT_EQ(error_of([&] { (void)LoraLinear(Tensor::zeros({6}, DType::f32), {}); }),
            "LoraLinear: the weight is f32[6] on cpu, expected a float [O, I] on cpu");
  EXPECT_THAT(error_of([&] {
                (void)LoraLinear(Tensor::zeros({5, 6}, DType::i32), {});
              }),
              HasSubstr("expected a float [O, I]"));

  LoraLinear layer(w, {.r = 2, .use_dora = true});
  const Tensor x = uniform_tensor({3, 6}, 15), z = Tensor::zeros({3, 5}, DType::f32);
  EXPECT_EQ(error_of([&] {
              layer.apply(uniform_tensor({3, 4}, 16), z);
            }),
            "LoraLinear::apply: x is f32[3, 4] on cpu, expected a contiguous f32[3, 6] on cpu");
  EXPECT_EQ(error_of([&] {
              layer.forward(x, Tensor::zeros({3, 6}, DType::f32));
            }),
            "LoraLinear::forward: z is f32[3, 6] on cpu, expected a contiguous f32[3, 5] on cpu");
  EXPECT_THAT(error_of([&] { layer.apply(uniform_tensor({18}, 16), z); }),
              HasSubstr("LoraLinear::apply: x is f32[18] on cpu, expected a contiguous f32[N, 6]"));
  EXPECT_EQ(error_of([&] { layer.backward(x, z, Tensor(), false); }),
            "LoraLinear::backward: no forward() to differentiate");
  layer.forward(x, z);
  EXPECT_EQ(error_of([&] {
              layer.backward(x, Tensor::zeros({2, 5}, DType::f32), Tensor(), false);
            }),
            "LoraLinear::backward: dz is f32[2, 5] on cpu, expected a contiguous f32[3, 5] on cpu");
  EXPECT_EQ(error_of([&] {
              layer.backward(uniform_tensor({3, 4}, 18), z, Tensor(), false);
            }),
            "LoraLinear::backward: x is f32[3, 4] on cpu, expected a contiguous f32[3, 6] on cpu");

  EXPECT_EQ(error_of([&] {
              layer.set_parameter("lora_B.weight", uniform_tensor({2, 5}, 17));
            }),
            "LoraLinear: lora_B.weight is f32[2, 5] on cpu, expected a float tensor [5, 2]");
  EXPECT_EQ(error_of([&] {
              layer.set_parameter("lora_A", uniform_tensor({2, 6}, 17));
            }),
            "LoraLinear: no parameter named \"lora_A\"; expected one of lora_A.weight, "
            "lora_B.weight, lora_magnitude_vector");
}

}  // namespace
}  // namespace retune::adapters
