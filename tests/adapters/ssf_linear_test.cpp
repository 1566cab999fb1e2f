// SsfLinear against a double-precision reference written here from the formulas of
// adapters/ssf_linear.h (the linear's own output pair, a norm's input pair, or both; shifts or
// none; a bias or none; Conv1D's transposed weight), its backward against central finite
// differences of that reference, and its merge against its forward.
#include "adapters/ssf_linear.h"

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

size_t at(int64_t i) {
  return static_cast<size_t>(i);
}

// y = γ ⊙ (W (γ_n ⊙ x + β_n) + b) + β in double; an empty vector is an absent term (γ: 1).
struct Reference {
  int64_t N, I, O;
  std::vector<double> w, b, x;
  std::vector<double> scale, shift;            // [O]
  std::vector<double> norm_scale, norm_shift;  // [I]

  std::vector<double> output() const {
    std::vector<double> y(at(N * O));
    for (int64_t t = 0; t < N; ++t) {
      for (int64_t o = 0; o < O; ++o) {
        double sum = b.empty() ? 0.0 : b[at(o)];
        for (int64_t i = 0; i < I; ++i) {
          const double xi = x[at(t * I + i)] * (norm_scale.empty() ? 1.0 : norm_scale[at(i)]) +
                            (norm_shift.empty() ? 0.0 : norm_shift[at(i)]);
          sum += xi * w[at(o * I + i)];
        }
        y[at(t * O + o)] =
            sum * (scale.empty() ? 1.0 : scale[at(o)]) + (shift.empty() ? 0.0 : shift[at(o)]);
      }
    }
    return y;
  }

  Tensor base_product() const { return retune::base_product(x, w, N, I, O); }
};

struct Variant {
  std::string name;
  bool output, output_shift, input, input_shift, bias, conv1d;
};

void PrintTo(const Variant& v, std::ostream* os) {
  *os << v.name;
}

// A layer with random pairs, W, b and an input x, with the matching reference.
struct Case {
  static constexpr int64_t N = 4, I = 6, O = 5;
  Tensor x = uniform_tensor({N, I}, 2);
  Tensor stored;  // the weight as the model stores it
  Tensor bias;
  std::shared_ptr<SsfPair> output, input;
  SsfLinear layer;
  Reference ref;

  explicit Case(const Variant& v)
      : stored(v.conv1d ? uniform_tensor({I, O}, 1) : uniform_tensor({O, I}, 1)),
        bias(v.bias ? uniform_tensor({O}, 3) : Tensor()),
        output(v.output ? SsfPair::make(O, v.output_shift, 0.3, 4) : nullptr),
        input(v.input ? SsfPair::make(I, v.input_shift, 0.3, 6) : nullptr),
        layer(v.conv1d ? stored.transpose(0, 1) : stored, bias, output, input),
        ref{N, I, O, {}, {}, doubles(x), {}, {}, {}, {}} {
    ref.w = doubles(v.conv1d ? stored.transpose(0, 1) : stored);
    if (v.bias) ref.b = doubles(bias);
    if (output) ref.scale = doubles(output->scale);
    if (output && output->shift.defined()) ref.shift = doubles(output->shift);
    if (input) ref.norm_scale = doubles(input->scale);
    if (input && input->shift.defined()) ref.norm_shift = doubles(input->shift);
  }

  // Every trainable tensor with its reference values and name.
  std::vector<std::tuple<std::string, Tensor, std::vector<double>*>> parameters() {
    std::vector<std::tuple<std::string, Tensor, std::vector<double>*>> all;
    if (output) all.emplace_back("scale", output->scale_grad, &ref.scale);
    if (output && output->shift.defined())
      all.emplace_back("shift", output->shift_grad, &ref.shift);
    if (input) all.emplace_back("norm scale", input->scale_grad, &ref.norm_scale);
    if (input && input->shift.defined())
      all.emplace_back("norm shift", input->shift_grad, &ref.norm_shift);
    return all;
  }

  // The adapter's z plus the bias the model adds afterwards, as doubles.
  std::vector<double> with_bias(const Tensor& z) const {
    std::vector<double> y = doubles(z);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t o = 0; o < O; ++o) y[at(n * O + o)] += ref.b.empty() ? 0 : ref.b[at(o)];
    }
    return y;
  }
};

class SsfLinearVariants : public testing::TestWithParam<Variant> {};

TEST_P(SsfLinearVariants, ForwardAndApplyMatchTheReference) {
  Case c(GetParam());
  const std::vector<double> want = c.ref.output();
  const Tensor applied = c.ref.base_product();
  c.layer.apply(c.x, applied);
  const std::vector<double> got = c.with_bias(applied);
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], kTolerance) << j;
  const Tensor trained = c.ref.base_product();
  c.layer.forward(c.x, trained);
  EXPECT_EQ(trained.to_f32_vector(), applied.to_f32_vector());
}

// For the loss L = sum(y * r) with a fixed random r: every pair's gradient and dL/dx by central
// differences of the reference; the model's own path (the returned gradient times W) completes
// dx. A second backward with accumulate_dx adds to dx and to the gradients.
TEST_P(SsfLinearVariants, BackwardMatchesCentralDifferences) {
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
  for (auto& [name, grad, values] : c.parameters()) {
    expect_near(grad, finite_differences(*values, loss), kTolerance, name);
  }

  c.layer.forward(c.x, c.ref.base_product());
  const Tensor start = uniform_tensor({Case::N, Case::I}, 7);
  const Tensor accumulated = start.clone();
  c.layer.backward(c.x, dz, accumulated, true);
  const std::vector<float> a = accumulated.to_f32_vector(), s = start.to_f32_vector(),
                           once = dx.to_f32_vector();
  for (size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], s[j] + once[j], 1e-6) << j;
  for (auto& [name, grad, values] : c.parameters()) {
    std::vector<double> twice = finite_differences(*values, loss);
    for (double& v : twice) v *= 2;
    expect_near(grad, twice, kTolerance, name + " after two backwards");
  }
}

// The merged weight and bias, applied to γ_n ⊙ x (the input scale merges into the norm's
// weight; the input shift into the bias), give the adapter's output.
TEST_P(SsfLinearVariants, MergedWeightsGiveTheAdaptedOutput) {
  Case c(GetParam());
  Reference plain = c.ref;
  plain.w = doubles(c.layer.merged_weight());
  plain.b = doubles(c.layer.merged_bias(true));
  plain.scale.clear();
  plain.shift.clear();
  plain.norm_shift.clear();
  const std::vector<double> want = c.ref.output(), got = plain.output();
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], kTolerance) << j;
}

// On a GPU (the pairs moved first, then the layer with the model's moved weight and bias) the layer
// computes what it does on the CPU, within the GPU's bf16 products.
TEST_P(SsfLinearVariants, GpuMatchesTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  const Variant v = GetParam();
  Case cpu(v), moved(v);
  for (const std::shared_ptr<SsfPair>& pair : {moved.output, moved.input}) {
    if (pair) pair->move_to(gpu);
  }
  const Tensor stored = moved.stored.to(gpu);
  moved.layer.move_to(gpu, v.conv1d ? stored.transpose(0, 1) : stored,
                      moved.bias.defined() ? moved.bias.to(gpu) : Tensor());
  const auto parameters = [](const Case& c) {
    std::vector<AdapterParameter> all;
    for (const std::shared_ptr<SsfPair>& pair : {c.output, c.input}) {
      if (!pair) continue;
      all.push_back({"scale", pair->scale, pair->scale_grad});
      if (pair->shift.defined()) all.push_back({"shift", pair->shift, pair->shift_grad});
    }
    return all;
  };
  expect_same_on_device(cpu.layer, parameters(cpu), moved.layer, parameters(moved), cpu.x,
                        cpu.ref.base_product(), uniform_tensor({Case::N, Case::O}, 9), gpu);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, SsfLinearVariants,
    testing::Values(Variant{"output", true, true, false, false, false, false},
                    Variant{"output_bias", true, true, false, false, true, false},
                    Variant{"output_scale_only_bias", true, false, false, false, true, false},
                    Variant{"input", false, false, true, true, false, false},
                    Variant{"input_scale_only_bias", false, false, true, false, true, false},
                    Variant{"both_bias", true, true, true, true, true, false},
                    Variant{"conv1d_both_bias", true, true, true, true, true, true}),
    [](const testing::TestParamInfo<Variant>& param) { return param.param.name; });

// γ ~ N(1, σ²), β ~ N(0, σ²): σ = 0 starts exactly at the identity; σ > 0 does not.
TEST(SsfLinear, StartsNearTheIdentity) {
  const Tensor weight = uniform_tensor({5, 6}, 1);
  const Tensor x = uniform_tensor({3, 6}, 3);
  const Tensor z0 = base_product(doubles(x), doubles(weight), 3, 6, 5);
  const auto moved = [&](double std) {
    const SsfLinear layer(weight, uniform_tensor({5}, 2), SsfPair::make(5, true, std, 7),
                          SsfPair::make(6, true, std, 9));
    const Tensor z = z0.clone();
    layer.apply(x, z);
    float most = 0;
    const std::vector<float> a = z.to_f32_vector(), b = z0.to_f32_vector();
    for (size_t j = 0; j < a.size(); ++j) most = std::max(most, std::abs(a[j] - b[j]));
    return most;
  };
  EXPECT_LT(moved(0.0), 1e-6f);
  EXPECT_GT(moved(0.02), 1e-4f);
  EXPECT_LT(moved(0.02), 0.5f);
}

TEST(SsfLinear, RefusesBadArguments) {
  const Tensor weight = uniform_tensor({5, 6}, 1);
  EXPECT_THAT(
      error_of([] { SsfLinear(Tensor(), Tensor(), SsfPair::make(5, true, 0, 1), nullptr); }),
      HasSubstr("SsfLinear: the weight is undefined"));
  EXPECT_THAT(error_of([&] { SsfLinear(weight, Tensor(), nullptr, nullptr); }),
              HasSubstr("SsfLinear: neither an output nor an input pair"));
  EXPECT_THAT(error_of([&] { SsfLinear(weight, Tensor(), SsfPair::make(6, true, 0, 1), nullptr); }),
              HasSubstr("SsfLinear: an output pair of width 6, expected 5"));
  EXPECT_THAT(error_of([&] { SsfLinear(weight, Tensor(), nullptr, SsfPair::make(5, true, 0, 1)); }),
              HasSubstr("SsfLinear: an input pair of width 5, expected 6"));
  SsfLinear layer(weight, Tensor(), SsfPair::make(5, true, 0, 1), nullptr);
  EXPECT_THAT(
      error_of([&] {
        layer.backward(uniform_tensor({2, 6}, 2), uniform_tensor({2, 5}, 3), Tensor(), false);
      }),
      HasSubstr("SsfLinear::backward: no forward() to differentiate"));
  EXPECT_THAT(error_of([&] {
                layer.apply(uniform_tensor({2, 5}, 2), uniform_tensor({2, 5}, 3));
              }),
              HasSubstr("SsfLinear::apply"));
}

}  // namespace
}  // namespace retune::adapters
