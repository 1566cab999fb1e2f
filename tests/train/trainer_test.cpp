// The step loop on a fixture model: training lowers the loss, gradient accumulation over
// micro-batches equals one larger batch, a resumed run continues bitwise, and non-finite steps
// are skipped, counted and stop training past max_skipped_steps.
#include "train/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "data/batch_stream.h"
#include "model/llama_model.h"
#include "model/trainable_weights.h"
#include "ops/zero_fill.h"
#include "support/error_of.h"
#include "support/model_parity.h"

namespace retune::train {
namespace {

using testing::HasSubstr;

// 12 examples of 5..11 random ids of the 320-token vocabulary, every token trained.
std::vector<TokenizedExample> examples() {
  Rng rng(7);
  std::vector<TokenizedExample> result;
  for (int i = 0; i < 12; ++i) {
    TokenizedExample example;
    const int64_t length = rng.integer(5, 11);
    for (int64_t t = 0; t < length; ++t) {
      example.ids.push_back(static_cast<int32_t>(rng.integer(3, 319)));
      example.trained.push_back(true);
    }
    result.push_back(example);
  }
  return result;
}

// A model whose MLP weights train, with its optimizer and data (from `start`).
struct TrainingRun {
  model::LlamaModel model = model::LlamaModel::load(hf_model_fixture("llama_tied"));
  model::TrainingSetup setup;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<BatchStream> data;
  std::vector<StepReport> reports;

  TrainingRun(int64_t batch_size, DataPosition start = {}) {
    setup = model::make_training_step(
        model, [](const std::string& name) { return name.find(".mlp.") != std::string::npos; });
    std::vector<Parameter> parameters;
    for (const model::TrainedWeight& w : setup.weights) {
      parameters.push_back({w.name, w.value, w.grad, hf_decays(w.name)});
    }
    optimizer = std::make_unique<Optimizer>(
        parameters, OptimizerOptions{.kind = OptimizerKind::adamw, .weight_decay = 0.01});
    data = std::make_unique<BatchStream>(
        examples(),
        BatchOptions{.batch_size = batch_size,
                     .sequences = {.length = 16, .packing = true, .pad_id = 0},
                     .shuffle = true,
                     .seed = 3},
        start);
  }

  void train(int64_t steps, int64_t grad_accum, int64_t first_step = 0,
             std::function<void()> mask_gradients = {}) {
    TrainerOptions options{.steps = steps, .grad_accum = grad_accum, .max_grad_norm = 1.0};
    options.mask_gradients = std::move(mask_gradients);
    options.schedule = {
        .kind = LrScheduleKind::cosine, .peak_lr = 1e-2, .total_steps = steps, .warmup_steps = 1};
    Trainer(*setup.step, *optimizer, *data, options).run(first_step, [&](const StepReport& r) {
      reports.push_back(r);
      return true;
    });
  }

  std::vector<float> weights() const {
    std::vector<float> all;
    for (const model::TrainedWeight& w : setup.weights) {
      const std::vector<float> values = w.value.to_f32_vector();
      all.insert(all.end(), values.begin(), values.end());
    }
    return all;
  }
};

TEST(Trainer, LowersTheLoss) {
  TrainingRun run(2);
  run.train(12, 1);
  ASSERT_EQ(run.reports.size(), 12u);
  EXPECT_EQ(run.reports.front().step, 1);
  EXPECT_EQ(run.reports.front().lr, 0.0);  // warmup: step 0 runs at lr 0 (HF's convention)
  EXPECT_EQ(run.reports.front().tokens, 32);
  // The data repeats every few steps; by the end the model has learnt some of it.
  EXPECT_LT(run.reports.back().loss, run.reports[1].loss - 0.5);
}

// A sparse mask's gradient masking comes once per step, after the micro-batches and before the
// clipping: the reported norm is the masked gradients'.
TEST(Trainer, MasksTheGradientsBeforeClippingThem) {
  TrainingRun run(1);
  int64_t calls = 0;
  run.train(3, 2, 0, [&] {
    ++calls;
    std::vector<Tensor> grads;
    for (const model::TrainedWeight& w : run.setup.weights) grads.push_back(w.grad);
    ops::zero_fill(grads);
  });
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(run.reports.size(), 3u);
  for (const StepReport& report : run.reports) EXPECT_EQ(report.grad_norm, 0.0);
  TrainingRun unmasked(1);
  unmasked.train(3, 2);
  for (const StepReport& report : unmasked.reports) EXPECT_GT(report.grad_norm, 0.0);
}

// Two micro-batches of one row make the same step as one batch of the same two rows.
TEST(Trainer, AccumulationEqualsOneLargerBatch) {
  TrainingRun accumulated(1);
  accumulated.train(3, 2);
  TrainingRun whole(2);
  whole.train(3, 1);
  ASSERT_EQ(accumulated.reports.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(accumulated.reports[i].loss, whole.reports[i].loss, 1e-5);
    EXPECT_EQ(accumulated.reports[i].target_tokens, whole.reports[i].target_tokens);
  }
  const std::vector<float> a = accumulated.weights();
  const std::vector<float> b = whole.weights();
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << i;
}

// Steps 3..6 from the state after step 2 equal the same steps of an uninterrupted run.
TEST(Trainer, ResumedRunContinuesBitwise) {
  TrainingRun straight(2);
  straight.train(6, 1);

  TrainingRun part(2);
  TrainerOptions options{.steps = 6};
  options.schedule = {
      .kind = LrScheduleKind::cosine, .peak_lr = 1e-2, .total_steps = 6, .warmup_steps = 1};
  Trainer(*part.setup.step, *part.optimizer, *part.data, options).run(0, [&](const StepReport& r) {
    return r.step < 2;
  });
  const OptimizerState state = part.optimizer->export_state();
  std::vector<std::pair<std::string, Tensor>> saved_weights;
  for (const model::TrainedWeight& w : part.setup.weights) {
    saved_weights.emplace_back(w.name, w.value.clone());
  }
  const DataPosition position = part.data->position();

  TrainingRun resumed(2, position);
  for (size_t i = 0; i < saved_weights.size(); ++i) {
    resumed.setup.weights[i].value.copy_from(saved_weights[i].second);
  }
  OptimizerState copy = state;
  for (auto& [name, tensor] : copy.tensors) tensor = tensor.clone();
  resumed.optimizer->import_state(copy);
  resumed.train(6, 1, 2);
  EXPECT_EQ(resumed.weights(), straight.weights());
  ASSERT_EQ(resumed.reports.size(), 4u);
  EXPECT_EQ(resumed.reports.back().loss, straight.reports.back().loss);
}

TEST(Trainer, StopsAtANonFiniteLoss) {
  TrainingRun run(2);
  run.setup.weights.front().value.fill(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(error_of([&] { run.train(3, 1); }),
              HasSubstr("training stopped at step 1: 1 steps had a non-finite loss"));
}

// A training step whose gradients turn infinite on chosen calls, its loss staying finite: a
// fault only the gradient norm shows.
class InfiniteGradientStep : public model::TrainingStep {
 public:
  InfiniteGradientStep(model::TrainingStep& inner, Tensor& grad, std::vector<int> faulty_calls)
      : inner_(inner), grad_(grad), faulty_calls_(std::move(faulty_calls)) {}
  float step(const model::TokenBatch& batch, float dloss) override {
    const float loss = inner_.step(batch, dloss);
    if (std::find(faulty_calls_.begin(), faulty_calls_.end(), ++calls_) != faulty_calls_.end()) {
      grad_.mutable_data<float>()[0] = std::numeric_limits<float>::infinity();
    }
    return loss;
  }
  float distill_step(const model::TokenBatch& rows, const model::DistillationTeacher& teacher,
                     float dloss) override {
    return inner_.distill_step(rows, teacher, dloss);
  }

 private:
  model::TrainingStep& inner_;
  Tensor& grad_;
  std::vector<int> faulty_calls_;
  int calls_ = 0;
};

// Steps 2 and 4 get an infinite gradient: each is skipped (nothing applied, the weights stay as
// they were), counted, and training goes on while the count is within max_skipped_steps.
TEST(Trainer, SkipsAndCountsStepsWithAnInfiniteGradient) {
  TrainingRun run(2);
  InfiniteGradientStep faulty(*run.setup.step, run.setup.weights.front().grad, {2, 4});
  TrainerOptions options{.steps = 5, .max_skipped_steps = 2};
  options.schedule = {.kind = LrScheduleKind::constant, .peak_lr = 1e-2, .total_steps = 5};
  Trainer trainer(faulty, *run.optimizer, *run.data, options);
  std::vector<std::vector<float>> weights_after;
  trainer.run(0, [&](const StepReport& report) {
    run.reports.push_back(report);
    weights_after.push_back(run.weights());
    return true;
  });
  ASSERT_EQ(run.reports.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const bool faulty_step = i == 1 || i == 3;
    EXPECT_EQ(run.reports[i].skipped, faulty_step) << "step " << i + 1;
    EXPECT_TRUE(std::isfinite(run.reports[i].loss));
    EXPECT_EQ(std::isfinite(run.reports[i].grad_norm), !faulty_step);
    if (faulty_step) {
      EXPECT_EQ(weights_after[i], weights_after[i - 1]) << "step " << i + 1;
    }
  }
  EXPECT_NE(weights_after[2], weights_after[1]);
  EXPECT_EQ(trainer.skipped_steps(), 2);
}

// One skipped step more than max_skipped_steps stops training at that step; a resumed run's
// earlier skips count (skipped_before).
TEST(Trainer, StopsAfterMaxSkippedSteps) {
  TrainingRun run(2);
  InfiniteGradientStep faulty(*run.setup.step, run.setup.weights.front().grad, {2, 4});
  TrainerOptions options{.steps = 5, .max_skipped_steps = 1};
  options.schedule = {.kind = LrScheduleKind::constant, .peak_lr = 1e-2, .total_steps = 5};
  const auto steps_done = [&](TrainerOptions o) {
    int64_t done = 0;
    const std::string error = error_of([&] {
      Trainer(faulty, *run.optimizer, *run.data, o).run(0, [&](const StepReport& report) {
        done = report.step;
        return true;
      });
    });
    return std::make_pair(done, error);
  };
  const auto [done, error] = steps_done(options);
  EXPECT_EQ(done, 3);
  EXPECT_THAT(error, HasSubstr("training stopped at step 4: 2 steps had a non-finite loss or "
                               "gradient norm (loss "));
  EXPECT_THAT(error, HasSubstr("gradient norm inf; training.max_skipped_steps is 1)"));

  TrainingRun resumed(2);
  InfiniteGradientStep again(*resumed.setup.step, resumed.setup.weights.front().grad, {2});
  options.skipped_before = 1;
  EXPECT_THAT(
      error_of([&] {
        Trainer(again, *resumed.optimizer, *resumed.data, options).run(0, [](const StepReport&) {
          return true;
        });
      }),
      HasSubstr("training stopped at step 2: 2 steps had a non-finite"));
}

}  // namespace
}  // namespace retune::train
