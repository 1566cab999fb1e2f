// Ia3Linear against a double-precision reference written here from the formulas of
// adapters/ia3_linear.h, its backward against central finite differences of that reference, and
// its merge against its forward.
#include "adapters/ia3_linear.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "support/adapter_on_device.h"
#include "support/double_reference.h"
#include "support/error_of.h"

namespace retune::adapters {
namespace {

using testing::HasSubstr;

constexpr double kTolerance = 1e-5;  // O(1) sums of a few f32 products

void expect_near(const Tensor& got, const std::vector<double>& want, const std::string& what) {
  retune::expect_near(got, want, kTolerance, what);
}

size_t at(int64_t i) {
  return static_cast<size_t>(i);
}

// The layer in double, bias included: y = (x W^T + b) * l (output-scaled, l [O]) or
// y = (x * l) W^T + b (feed-forward, l [I]); b empty: none.
struct Reference {
  int64_t N, I, O;
  bool feedforward;
  std::vector<double> w, b, l, x;

  std::vector<double> output() const {
    std::vector<double> y(at(N * O));
    for (int64_t t = 0; t < N; ++t) {
      for (int64_t o = 0; o < O; ++o) {
        double sum = 0;
        for (int64_t i = 0; i < I; ++i) {
          sum += x[at(t * I + i)] * (feedforward ? l[at(i)] : 1.0) * w[at(o * I + i)];
        }
        const double bias = b.empty() ? 0.0 : b[at(o)];
        y[at(t * O + o)] = feedforward ? sum + bias : (sum + bias) * l[at(o)];
      }
    }
    return y;
  }

  // x W^T, as the model hands it to the adapter.
  Tensor base_product() const { return retune::base_product(x, w, N, I, O); }
};

struct Variant {
  std::string name;
  bool feedforward;
  bool bias;
  bool conv1d;  // the weight handed over as a transposed view of an [I, O] tensor
};

void PrintTo(const Variant& v, std::ostream* os) {
  *os << v.name;
}

// A layer with random l, W, b and an input x, with the matching reference.
struct Case {
  static constexpr int64_t N = 4, I = 6, O = 5;
  Tensor x = uniform_tensor({N, I}, 2);
  Tensor stored;  // the weight as the model stores it
  Ia3Linear layer;
  Reference ref;

  explicit Case(const Variant& v)
      : stored(v.conv1d ? uniform_tensor({I, O}, 1) : uniform_tensor({O, I}, 1)),
        layer(v.conv1d ? stored.transpose(0, 1) : stored,
              v.bias ? uniform_tensor({O}, 3) : Tensor(), v.feedforward),
        ref{N, I, O, v.feedforward, {}, {}, {}, doubles(x)} {
    const Tensor l = layer.parameters()[0].value;
    l.copy_from(uniform_tensor(l.shape(), 4, 0.5, 1.5));
    ref.w = doubles(v.conv1d ? stored.transpose(0, 1) : stored);
    if (v.bias) ref.b = doubles(uniform_tensor({O}, 3));
    ref.l = doubles(l);
  }
};

class Ia3LinearVariants : public testing::TestWithParam<Variant> {};

TEST_P(Ia3LinearVariants, ForwardAndApplyMatchTheReference) {
  Case c(GetParam());
  const std::vector<double> want = c.ref.output();
  // The adapter's z plus the bias the model adds afterwards.
  const auto with_bias = [&](const Tensor& z) {
    std::vector<double> y = doubles(z);
    for (int64_t n = 0; n < Case::N; ++n) {
      for (int64_t o = 0; o < Case::O; ++o)
        y[at(n * Case::O + o)] += c.ref.b.empty() ? 0 : c.ref.b[at(o)];
    }
    return Tensor::from_vector<float>({Case::N, Case::O}, DType::f32,
                                      std::vector<float>(y.begin(), y.end()));
  };
  const Tensor applied = c.ref.base_product();
  c.layer.apply(c.x, applied);
  expect_near(with_bias(applied), want, "apply");
  const Tensor trained = c.ref.base_product();
  c.layer.forward(c.x, trained);
  EXPECT_EQ(trained.to_f32_vector(), applied.to_f32_vector());
}

// For the loss L = sum(y * r) with a fixed random r: dL/dl and dL/dx by central differences of
// the reference; the model's own path (the returned base-product gradient times W) completes dx.
TEST_P(Ia3LinearVariants, BackwardMatchesCentralDifferences) {
  Case c(GetParam());
  const std::vector<double> r = doubles(uniform_tensor({Case::N, Case::O}, 5));
  const auto loss = [&] {
    const std::vector<double> y = c.ref.output();
    double sum = 0;
    for (size_t j = 0; j < y.size(); ++j) sum += y[j] * r[j];
    return sum;
  };
  c.layer.forward(c.x, c.ref.base_product());
  const Tensor dz = Tensor::from_vector<float>({Case::N, Case::O}, DType::f32,
                                               std::vector<float>(r.begin(), r.end()));
  const Tensor dx = uniform_tensor({Case::N, Case::I}, 6);  // overwritten
  const Tensor base_grad = c.layer.backward(c.x, dz, dx, false);
  // dx += base_grad W, as model/trainable_linear.cpp adds the base path.
  std::vector<double> total = doubles(dx);
  const std::vector<double> g = doubles(base_grad);
  for (int64_t n = 0; n < Case::N; ++n) {
    for (int64_t i = 0; i < Case::I; ++i) {
      for (int64_t o = 0; o < Case::O; ++o) {
        total[at(n * Case::I + i)] += g[at(n * Case::O + o)] * c.ref.w[at(o * Case::I + i)];
      }
    }
  }
  const std::vector<double> want_dx = finite_differences(c.ref.x, loss);
  for (size_t j = 0; j < total.size(); ++j) EXPECT_NEAR(total[j], want_dx[j], kTolerance) << j;
  expect_near(c.layer.parameters()[0].grad, finite_differences(c.ref.l, loss), "dl");

  // A second backward accumulates into dl and, with accumulate_dx, adds to dx.
  c.layer.forward(c.x, c.ref.base_product());
  const Tensor start = uniform_tensor({Case::N, Case::I}, 7);
  const Tensor accumulated = start.clone();
  c.layer.backward(c.x, dz, accumulated, true);
  const Tensor fresh = Tensor::zeros({Case::N, Case::I}, DType::f32);
  c.layer.forward(c.x, c.ref.base_product());
  c.layer.backward(c.x, dz, fresh, false);
  const std::vector<float> a = accumulated.to_f32_vector(), s = start.to_f32_vector(),
                           f = fresh.to_f32_vector();
  for (size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], s[j] + f[j], 1e-6) << j;
  std::vector<double> thrice = finite_differences(c.ref.l, loss);
  for (double& v : thrice) v *= 3;
  expect_near(c.layer.parameters()[0].grad, thrice, "dl after three backwards");
}

// The merged weight and bias computed with no adapter give the adapter's output.
TEST_P(Ia3LinearVariants, MergedWeightsGiveTheAdaptedOutput) {
  Case c(GetParam());
  const std::vector<double> w = doubles(c.layer.merged_weight());  // [O, I]
  const Tensor merged_bias = c.layer.merged_bias();
  EXPECT_EQ(merged_bias.defined(), GetParam().bias && !GetParam().feedforward);
  std::vector<double> b = merged_bias.defined() ? doubles(merged_bias) : c.ref.b;
  Reference plain = c.ref;
  plain.w = w;
  plain.b = b;
  plain.feedforward = false;
  plain.l.assign(at(Case::O), 1.0);
  const std::vector<double> want = c.ref.output(), got = plain.output();
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], kTolerance) << j;
}

// On a GPU (move_to, the model's moved weight and bias handed over) the layer computes what it
// does on the CPU, within the GPU's bf16 products.
TEST_P(Ia3LinearVariants, GpuMatchesTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Variant v = GetParam();
  Case cpu(v), moved(v);
  const Tensor stored = moved.stored.to(gpu);
  moved.layer.move_to(gpu, v.conv1d ? stored.transpose(0, 1) : stored,
                      v.bias ? uniform_tensor({Case::O}, 3).to(gpu) : Tensor());
  expect_same_on_device(cpu.layer, cpu.layer.parameters(), moved.layer, moved.layer.parameters(),
                        cpu.x, cpu.ref.base_product(), uniform_tensor({Case::N, Case::O}, 9), gpu);
}

INSTANTIATE_TEST_SUITE_P(Variants, Ia3LinearVariants,
                         testing::Values(Variant{"output", false, false, false},
                                         Variant{"output_bias", false, true, false},
                                         Variant{"feedforward", true, false, false},
                                         Variant{"feedforward_bias", true, true, false},
                                         Variant{"conv1d_output_bias", false, true, true},
                                         Variant{"conv1d_feedforward_bias", true, true, true}),
                         [](const testing::TestParamInfo<Variant>& param) {
                           return param.param.name;
                         });

// move_to takes the model's moved weight and bias only as the layer views them now: a bias where
// there was one, of its shape.
TEST(Ia3Linear, MoveToRefusesABiasUnlikeItsOwn) {
  const Tensor weight = uniform_tensor({5, 6}, 1);
  Ia3Linear layer(weight, uniform_tensor({5}, 2), false);
  EXPECT_EQ(error_of([&] { layer.move_to(Device::cpu(), weight, Tensor()); }),
            "Ia3Linear::move_to: the bias is undefined, expected one");
  EXPECT_THAT(error_of([&] { layer.move_to(Device::cpu(), weight, uniform_tensor({4}, 2)); }),
              testing::HasSubstr("Ia3Linear::move_to: bias is f32[4] on cpu, expected a "
                                 "contiguous f32[5]"));
  Ia3Linear unbiased(weight, Tensor(), true);
  EXPECT_EQ(error_of([&] { unbiased.move_to(Device::cpu(), weight, uniform_tensor({5}, 2)); }),
            "Ia3Linear::move_to: the bias is f32[5] on cpu, expected none");
  layer.move_to(Device::cpu(), weight.clone(), uniform_tensor({5}, 3));
  EXPECT_EQ(layer.parameters()[0].value.device(), Device::cpu());
}

// Initialised to ones, PEFT's ia3_l shapes: the layer starts as the identity.
TEST(Ia3Linear, StartsAsTheIdentityWithPeftsShapes) {
  const Tensor weight = uniform_tensor({5, 6}, 1);
  const Ia3Linear output(weight, uniform_tensor({5}, 2), false);
  const Ia3Linear feedforward(weight, Tensor(), true);
  EXPECT_EQ(output.parameters()[0].name, "ia3_l");
  EXPECT_EQ(output.parameters()[0].value.shape(), Shape({5, 1}));
  EXPECT_EQ(feedforward.parameters()[0].value.shape(), Shape({1, 6}));
  for (const Ia3Linear* layer : {&output, &feedforward}) {
    for (float v : layer->parameters()[0].value.to_f32_vector()) EXPECT_EQ(v, 1.0f);
    const Tensor x = uniform_tensor({3, 6}, 3);
    const Tensor z = base_product(doubles(x), doubles(weight), 3, 6, 5);
    const std::vector<float> before = z.to_f32_vector();
    layer->apply(x, z);
    const std::vector<float> after = z.to_f32_vector();
    for (size_t j = 0; j < after.size(); ++j) EXPECT_NEAR(after[j], before[j], 1e-6) << j;
  }
}

TEST(Ia3Linear, RefusesBadArguments) {
  EXPECT_THAT(error_of([] { Ia3Linear(Tensor(), Tensor(), false); }),
              HasSubstr("Ia3Linear: the weight is undefined"));
  EXPECT_THAT(error_of([] {
                Ia3Linear(uniform_tensor({5, 6}, 1), uniform_tensor({6}, 2), false);
              }),
              HasSubstr("Ia3Linear: bias is f32[6] on cpu, expected a contiguous f32[5] on cpu"));
  Ia3Linear layer(uniform_tensor({5, 6}, 1), Tensor(), true);
  EXPECT_THAT(
      error_of([&] {
        layer.backward(uniform_tensor({2, 6}, 2), uniform_tensor({2, 5}, 3), Tensor(), false);
      }),
      HasSubstr("no forward() to differentiate"));
  EXPECT_THAT(error_of([&] {
                layer.apply(uniform_tensor({2, 5}, 2), uniform_tensor({2, 5}, 3));
              }),
              HasSubstr("Ia3Linear::apply"));
}

}  // namespace
}  // namespace retune::adapters
