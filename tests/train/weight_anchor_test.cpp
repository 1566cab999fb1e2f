// WeightAnchor: L2-SP's and EWC's gradients and values against the formulas worked by hand, the
// anchor staying at θ0 while the parameters move, and the empirical diagonal Fisher against
// per-row gradients computed directly.
#include "train/weight_anchor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/causal_lm.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/model_parity.h"
#include "support/training_checks.h"

namespace retune::train {
namespace {

Parameter parameter(const std::vector<float>& value) {
  const auto n = static_cast<int64_t>(value.size());
  return {"w", Tensor::from_vector<float>({n}, DType::f32, value), Tensor::zeros({n}, DType::f32),
          true};
}

// Every weight a training step trains, as the optimizer's parameters.
std::vector<Parameter> parameters_of(const model::TrainingSetup& setup) {
  std::vector<Parameter> parameters;
  for (const model::TrainedWeight& w : setup.weights) {
    parameters.push_back({w.name, w.value, w.grad, true});
  }
  return parameters;
}

std::vector<float> values(const Tensor& tensor) {
  return {tensor.data<float>(), tensor.data<float>() + tensor.numel()};
}

TEST(WeightAnchor, L2spPullsTowardTheStartingValues) {
  const std::vector<Parameter> parameters = {parameter({1, 2, 3})};
  const WeightAnchor anchor(parameters, 0.5, 0);
  parameters[0].value.copy_from(
      Tensor::from_vector<float>({3}, DType::f32, std::vector<float>{2, 2, 1}));
  parameters[0].grad.fill(1.0);
  // θ - θ0 = (1, 0, -2): Ω = 0.5 / 2 * (1 + 0 + 4) = 1.25; gradient 0.5 * (1, 0, -2) added.
  EXPECT_DOUBLE_EQ(anchor.add_gradients(parameters), 1.25);
  EXPECT_EQ(values(parameters[0].grad), (std::vector<float>{1.5f, 1.0f, 0.0f}));
}

TEST(WeightAnchor, EwcWeighsEachEntryByItsFisher) {
  const std::vector<Parameter> parameters = {parameter({0, 0}), parameter({1})};
  WeightAnchor anchor(parameters, 0.1, 2);
  std::vector<Tensor> fisher;
  fisher.push_back(Tensor::from_vector<float>({2}, DType::f32, std::vector<float>{0, 3}));
  fisher.push_back(Tensor::from_vector<float>({1}, DType::f32, std::vector<float>{0.5}));
  anchor.set_fisher(std::move(fisher));
  parameters[0].value.fill(1.0);
  parameters[1].value.fill(3.0);
  // Weights l2sp + ewc F: (0.1, 6.1) and 1.1; deltas (1, 1) and 2.
  // Ω = (0.1 + 6.1) / 2 + 1.1 * 4 / 2 = 3.1 + 2.2.
  EXPECT_NEAR(anchor.add_gradients(parameters), 5.3, 1e-9);
  EXPECT_EQ(values(parameters[0].grad), (std::vector<float>{0.1f, 6.1f}));
  EXPECT_EQ(values(parameters[1].grad), (std::vector<float>{2.2f}));
}

TEST(WeightAnchor, RefusesEwcWithoutAFisherAndMisshapenFishers) {
  const std::vector<Parameter> parameters = {parameter({0, 0})};
  WeightAnchor anchor(parameters, 0, 1);
  EXPECT_EQ(error_of([&] { anchor.add_gradients(parameters); }),
            "EWC needs the Fisher before training");
  EXPECT_EQ(error_of([&] { anchor.set_fisher({Tensor::zeros({3}, DType::f32)}); }),
            "Fisher tensor 0 is not f32 of shape [2]");
  EXPECT_EQ(error_of([&] { WeightAnchor(parameters, -1, 0); }),
            "penalty weights must be >= 0, got l2sp -1 and ewc 0");
}

// Labels drawn from the model's distribution: an unscored position stays unscored, a
// near-one-hot distribution gives its token, and a 3:1 split is sampled in proportion.
TEST(WeightAnchor, SampledLabelsFollowTheLogits) {
  const std::vector<float> z = {0, 0, 0, -50, -50, 50, std::log(3.0f), 0, -100};
  const Tensor logits = Tensor::from_vector<float>({1, 3, 3}, DType::f32, z);
  Rng rng(7);
  int first = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const Tensor labels =
        Tensor::from_vector<int32_t>({1, 3}, DType::i32, std::vector<int32_t>{-100, 0, 0});
    sample_model_labels(logits, labels, rng);
    EXPECT_EQ(labels.data<int32_t>()[0], -100);
    EXPECT_EQ(labels.data<int32_t>()[1], 2);
    first += labels.data<int32_t>()[2] == 0;
  }
  // P(token 0) = 3 / 4 at the last position; 4000 draws: standard deviation ~0.007.
  EXPECT_NEAR(static_cast<double>(first) / draws, 0.75, 0.03);
}

// The Fisher of a fixture model over three rows equals the mean of the squared gradients of each
// row's loss with sampled labels, taken one row at a time; the gradients are left zero.
TEST(WeightAnchor, DiagonalFisherIsTheMeanOfSquaredRowGradients) {
  const auto model = model::load_causal_lm(hf_model_fixture("qwen2"));
  const model::TrainingSetup setup = model::make_training_step(*model, everything);
  const std::vector<Parameter> parameters = parameters_of(setup);
  std::vector<TokenizedExample> rows;
  for (int r = 0; r < 3; ++r) {
    TokenizedExample example;
    for (int t = 0; t < 6; ++t) example.ids.push_back(10 + 7 * r + 3 * t);
    example.trained.assign(6, true);
    rows.push_back(example);
  }
  BatchStream stream(rows, {1, {6, false, 0}, false, 0});
  const std::vector<Tensor> fisher =
      diagonal_fisher(*model, *setup.step, parameters, stream, 3, /*seed=*/5);

  std::vector<std::vector<double>> expected(parameters.size());
  BatchStream again(rows, {1, {6, false, 0}, false, 0});
  Rng rng(5);
  for (int r = 0; r < 3; ++r) {
    const Batch row = again.next();
    sample_model_labels(model->forward(row.input_ids, row.positions), row.labels, rng);
    for (const Parameter& p : parameters) p.grad.fill(0.0);
    setup.step->step({row.input_ids, row.labels, row.doc_ids, row.positions});
    for (size_t i = 0; i < parameters.size(); ++i) {
      const std::vector<float> g = values(parameters[i].grad);
      expected[i].resize(g.size());
      for (size_t k = 0; k < g.size(); ++k) expected[i][k] += g[k] * g[k] / 3.0;
      parameters[i].grad.fill(0.0);
    }
  }
  ASSERT_EQ(fisher.size(), parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::vector<float> got = values(fisher[i]);
    double largest = 0;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_NEAR(got[k], expected[i][k], 1e-6 * (1 + expected[i][k])) << parameters[i].name;
      largest = std::max(largest, expected[i][k]);
    }
    EXPECT_GT(largest, 0) << parameters[i].name;
  }
}

// diagonal_fisher leaves every gradient zero.
TEST(WeightAnchor, DiagonalFisherLeavesTheGradientsZero) {
  const auto model = model::load_causal_lm(hf_model_fixture("qwen2"));
  const model::TrainingSetup setup = model::make_training_step(*model, everything);
  const std::vector<Parameter> parameters = parameters_of(setup);
  BatchStream stream({{{10, 11, 12, 13}, {true, true, true, true}}}, {1, {4, false, 0}, false, 0});
  diagonal_fisher(*model, *setup.step, parameters, stream, 2, 0);
  for (const Parameter& p : parameters) {
    EXPECT_EQ(values(p.grad), std::vector<float>(p.grad.numel(), 0.0f)) << p.name;
  }
}

}  // namespace
}  // namespace retune::train
