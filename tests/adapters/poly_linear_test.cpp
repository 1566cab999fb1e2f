// PolyLinear (adapters/poly_linear.h): its backward against central finite differences of its
// eval routing (A, B, router logits and the input), the training routing's RelaxedBernoulli
// draws (their distribution, a fixed seed reproducing them, a restored offset resuming them),
// per-sequence task routing, and its errors.
#include "adapters/poly_linear.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/random_tensor.h"
#include "core/rng.h"
#include "support/adapter_on_device.h"
#include "support/central_difference.h"
#include "support/error_of.h"

namespace retune::adapters {
namespace {

using testing::HasSubstr;

constexpr int64_t kIn = 6, kOut = 4, kRows = 3;  // rows per sequence

struct Layer {
  std::shared_ptr<PolyRoutes> routes = std::make_shared<PolyRoutes>();
  Tensor weight = uniform_tensor({kOut, kIn}, 1);
  PolyLinear poly;

  explicit Layer(PolyShape shape = {.r = 2, .n_tasks = 3, .n_skills = 3, .n_splits = 2},
                 uint64_t seed = 5)
      : poly("layer", weight, shape, seed, routes) {
    uint64_t values = 10;
    for (const AdapterParameter& p : poly.parameters()) {
      p.value.copy_from(uniform_tensor(p.value.shape(), values++, -1.0, 1.0));
    }
  }
  Tensor output(const Tensor& x, bool train) {
    Tensor z = Tensor::empty({x.size(0), kOut}, DType::f32);
    z.fill(0.0);
    if (train) {
      poly.forward(x, z);
    } else {
      poly.apply(x, z);
    }
    return z;
  }
};

double dot(const Tensor& a, const std::vector<float>& b) {
  const std::vector<float> values = a.to_f32_vector();
  double sum = 0;
  for (size_t i = 0; i < b.size(); ++i) sum += static_cast<double>(values[i]) * b[i];
  return sum;
}

std::vector<float> direction(int64_t n, uint64_t seed) {
  return uniform_tensor({n}, seed).to_f32_vector();
}

TEST(PolyLinear, BackwardMatchesFiniteDifferences) {
  Layer layer;
  layer.routes->sequence_tasks = {2, 0};
  layer.poly.sample_routing(false);
  const Tensor x = uniform_tensor({2 * kRows, kIn}, 3);
  const Tensor g = uniform_tensor({2 * kRows, kOut}, 4);
  const auto loss = [&] { return dot(layer.output(x, false), g.to_f32_vector()); };
  layer.output(x, true);
  const Tensor dx = Tensor::empty(x.shape(), DType::f32);
  const Tensor dz = layer.poly.backward(x, g, dx, false);
  EXPECT_EQ(dz.to_f32_vector(), g.to_f32_vector());
  uint64_t seed = 100;
  for (const AdapterParameter& p : layer.poly.parameters()) {
    const std::vector<float> u = direction(p.value.numel(), seed++);
    const double want = central_difference(p.value, u, 1e-2f, loss);
    EXPECT_NEAR(dot(p.grad, u), want, 2e-3 * std::max(1.0, std::abs(want))) << p.name;
  }
  // The router rows of the task no sequence took get no gradient.
  const std::vector<float> logits_grad = layer.poly.parameters()[2].grad.to_f32_vector();
  for (int64_t j = 6; j < 12; ++j) EXPECT_EQ(logits_grad[static_cast<size_t>(j)], 0.0f);
  const std::vector<float> u = direction(x.numel(), 200);
  EXPECT_NEAR(dot(dx, u), central_difference(x, u, 1e-2f, loss), 2e-3);
}

TEST(PolyLinear, RouterOnlySkipsTheSkillGradients) {
  Layer layer;
  layer.routes->sequence_tasks = {1};
  layer.poly.train_skills(false);
  const Tensor x = uniform_tensor({kRows, kIn}, 3);
  layer.output(x, true);
  layer.poly.backward(x, uniform_tensor({kRows, kOut}, 4), Tensor(), false);
  const std::vector<AdapterParameter> parameters = layer.poly.parameters();
  for (float v : parameters[0].grad.to_f32_vector()) EXPECT_EQ(v, 0.0f);
  for (float v : parameters[1].grad.to_f32_vector()) EXPECT_EQ(v, 0.0f);
  double norm = 0;
  for (float v : parameters[2].grad.to_f32_vector()) norm += std::abs(v);
  EXPECT_GT(norm, 0);
}

TEST(PolyLinear, RelaxedBernoulliDrawsHaveTheirDistribution) {
  // P(sigmoid(z + logistic noise) > 1/2) = sigmoid(z); at z = 0 the mean is 1/2 by symmetry.
  for (const float logit : {0.0f, 1.5f, -0.7f}) {
    const int n = 20000;
    int above = 0;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const float y = relaxed_bernoulli(logit, counter_uniform(7, static_cast<uint64_t>(i)));
      above += y > 0.5f;
      sum += y;
    }
    const double p = 1 / (1 + std::exp(-static_cast<double>(logit)));
    EXPECT_NEAR(above / static_cast<double>(n), p, 4 * std::sqrt(p * (1 - p) / n)) << logit;
    if (logit == 0.0f) {
      EXPECT_NEAR(sum / n, 0.5, 0.01);
    }
  }
}

TEST(PolyLinear, TrainingDrawsAreSeededAndResumable) {
  Layer a, b, other({.r = 2, .n_tasks = 3, .n_skills = 3, .n_splits = 2}, 6);
  for (Layer* layer : {&a, &b, &other}) layer->routes->sequence_tasks = {1};
  const Tensor x = uniform_tensor({kRows, kIn}, 3);
  const std::vector<float> first = a.output(x, true).to_f32_vector();
  EXPECT_EQ(b.output(x, true).to_f32_vector(), first);  // same seed: same draws
  EXPECT_NE(other.output(x, true).to_f32_vector(), first);
  const uint64_t offset = a.poly.sample_offset();
  const std::vector<float> second = a.output(x, true).to_f32_vector();
  EXPECT_NE(second, first);  // the next forward draws anew
  b.poly.set_sample_offset(offset);
  EXPECT_EQ(b.output(x, true).to_f32_vector(), second);
  EXPECT_NE(a.output(x, false).to_f32_vector(), second);  // eval routes by sigmoid
}

TEST(PolyLinear, EachSequenceTakesItsOwnTasksRouting) {
  Layer layer;
  const Tensor x = uniform_tensor({2 * kRows, kIn}, 3);
  layer.routes->sequence_tasks = {0, 1};
  const std::vector<float> mixed = layer.output(x, false).to_f32_vector();
  layer.routes->sequence_tasks = {0, 0};
  const std::vector<float> same = layer.output(x, false).to_f32_vector();
  const auto half = static_cast<std::ptrdiff_t>(kRows * kOut);
  EXPECT_EQ(std::vector<float>(mixed.begin(), mixed.begin() + half),
            std::vector<float>(same.begin(), same.begin() + half));
  EXPECT_NE(std::vector<float>(mixed.begin() + half, mixed.end()),
            std::vector<float>(same.begin() + half, same.end()));
  // A one-task adapter needs no routes.
  Layer single({.r = 2, .n_tasks = 1, .n_skills = 2, .n_splits = 1});
  EXPECT_NO_THROW(single.output(x, false));
}

TEST(PolyLinear, MergedWeightComputesTheTasksOutput) {
  Layer layer;
  layer.routes->sequence_tasks = {2};
  const Tensor x = uniform_tensor({kRows, kIn}, 3);
  Tensor base = Tensor::empty({kRows, kOut}, DType::f32);
  base.fill(0.0);
  const std::vector<float> adapted = layer.output(x, false).to_f32_vector();
  const std::vector<float> w = layer.poly.merged_weight(2).to_f32_vector();
  const std::vector<float> xs = x.to_f32_vector(), w0 = layer.weight.to_f32_vector();
  for (int64_t n = 0; n < kRows; ++n) {
    for (int64_t o = 0; o < kOut; ++o) {
      double merged = 0, plain = 0;
      for (int64_t i = 0; i < kIn; ++i) {
        merged += static_cast<double>(xs[static_cast<size_t>(n * kIn + i)]) *
                  w[static_cast<size_t>(o * kIn + i)];
        plain += static_cast<double>(xs[static_cast<size_t>(n * kIn + i)]) *
                 w0[static_cast<size_t>(o * kIn + i)];
      }
      EXPECT_NEAR(merged - plain, adapted[static_cast<size_t>(n * kOut + o)], 1e-5);
    }
  }
}

TEST(PolyLinear, Errors) {
  const auto routes = std::make_shared<PolyRoutes>();
  EXPECT_THAT(error_of([&] {
                PolyLinear("q_proj", uniform_tensor({kOut, kIn}, 1),
                           {.r = 2, .n_tasks = 1, .n_skills = 2, .n_splits = 4}, 0, routes);
              }),
              HasSubstr("q_proj: n_splits 4 must divide the in features 6 and the out features 4"));
  Layer layer;
  const Tensor x = uniform_tensor({kRows, kIn}, 3);
  EXPECT_THAT(error_of([&] { layer.output(x, false); }),
              HasSubstr("the Poly adapter has 3 tasks and no task was given"));
  layer.routes->sequence_tasks = {3};
  EXPECT_THAT(error_of([&] { layer.output(x, false); }),
              HasSubstr("task id 3 is not below n_tasks 3"));
}

// On a GPU (move_to, the model's moved weight handed over) the layer computes what it does on
// the CPU, sampled routing and two splits included, within the GPU's bf16 products.
TEST(PolyLinear, GpuMatchesTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const Device gpu = Device::cuda(0);
  activate_device(gpu);
  Layer cpu, moved;
  cpu.routes->sequence_tasks = moved.routes->sequence_tasks = {0, 2};
  moved.poly.move_to(gpu, moved.weight.to(gpu));
  expect_same_on_device(cpu.poly, cpu.poly.parameters(), moved.poly, moved.poly.parameters(),
                        uniform_tensor({2 * kRows, kIn}, 20),
                        Tensor::zeros({2 * kRows, kOut}, DType::f32),
                        uniform_tensor({2 * kRows, kOut}, 21), gpu);
}

}  // namespace
}  // namespace retune::adapters
