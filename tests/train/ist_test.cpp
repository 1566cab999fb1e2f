// IST: its draws without replacement follow the weights; the score update rewards the layers
// whose suppression cost least; the optimizer leaves frozen parameters (values and state) alone
// and counts each parameter's own updates; and a LoRA run with IST updates only the layers its
// schedule chose at each step, resuming bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "run_fixture.h"
#include "train/checkpoint.h"
#include "train/ist_schedule.h"
#include "train/optimizer.h"

namespace retune::train {
namespace {

TEST(IstSchedule, DrawsDistinctLayersInProportionToTheWeights) {
  int64_t second = 0;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    const std::vector<int64_t> one = draw_without_replacement({1.0, 3.0}, 1, seed);
    ASSERT_EQ(one.size(), 1u);
    second += one[0];
  }
  EXPECT_NEAR(static_cast<double>(second) / 4000, 0.75, 0.03);
  const std::vector<int64_t> three = draw_without_replacement({1, 1, 1, 1, 1}, 3, 9);
  EXPECT_EQ(std::set<int64_t>(three.begin(), three.end()).size(), 3u);
  EXPECT_TRUE(std::is_sorted(three.begin(), three.end()));
  EXPECT_EQ(error_of([] { draw_without_replacement({1, 1}, 3, 0); }), "cannot draw 3 of 2 items");
}

TEST(IstSchedule, RewardsTheLayersWhoseSuppressionCostsLeast) {
  IstSchedule schedule(8, {.every = 5, .seed = 1});
  EXPECT_EQ(schedule.active_layers(0).size(), 2u);  // 25% of 8
  // Suppressing layer 0 hurts: trials without it have the lower loss.
  const auto loss = [](const std::vector<int64_t>& layers) {
    return std::binary_search(layers.begin(), layers.end(), 0) ? 2.0 : 1.0;
  };
  for (int64_t step = 0; step < 200; ++step) {
    const std::vector<double> losses = schedule.update_scores(step, loss);
    EXPECT_EQ(losses.size(), step % 5 == 0 ? 3u : 0u);
  }
  const std::vector<double>& s = schedule.scores();
  for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[0], s[i]) << i;  // layer 0: most important
  EXPECT_EQ(error_of([] { IstSchedule(4, {.active_fraction = 1.5}); }),
            "IST's fractions must be in (0, 1], got 1.5");
}

TEST(IstOptimizer, FrozenParametersSitTheStepOut) {
  Tensor a = Tensor::zeros({3}, DType::f32), ga = Tensor::zeros({3}, DType::f32);
  Tensor b = Tensor::zeros({3}, DType::f32), gb = Tensor::zeros({3}, DType::f32);
  Optimizer optimizer({{"a", a, ga, true}, {"b", b, gb, true}}, {});
  ga.fill(1.0);
  gb.fill(1.0);
  optimizer.set_frozen({false, true});
  optimizer.step(0.1);
  EXPECT_EQ(b.to_f32_vector(), std::vector<float>(3, 0.0f));
  const std::vector<float> a_after_one = a.to_f32_vector();
  // b's first update, at the optimizer's second step, is a first update: a's first one.
  optimizer.set_frozen({true, false});
  optimizer.step(0.1);
  EXPECT_EQ(b.to_f32_vector(), a_after_one);
  EXPECT_EQ(a.to_f32_vector(), a_after_one);
  // The counts travel with the state.
  const OptimizerState state = optimizer.export_state();
  Tensor c = Tensor::zeros({3}, DType::f32), gc = Tensor::zeros({3}, DType::f32);
  Tensor d = Tensor::zeros({3}, DType::f32), gd = Tensor::zeros({3}, DType::f32);
  Optimizer restored({{"a", c, gc, true}, {"b", d, gd, true}}, {});
  restored.import_state(state);
  EXPECT_EQ(restored.export_state().tensors.size(), state.tensors.size());
  EXPECT_EQ(restored.export_state().tensors.back().second.data<int64_t>()[0], 1);
}

// Only the chosen layers' adapters move at each step: with importance updated at step 0 only,
// the checkpoint's scores give the schedule of the later steps.
TEST(IstTraining, UpdatesOnlyTheActiveLayers) {
  TempDir dir;
  TrainConfig config = config_for(dir, TrainMethod::lora);
  config.ist = {.enabled = true, .every = 1000, .active_fraction = 0.5};
  config.training.steps = 4;
  config.save_every = 1;
  run_training(config, false, {});
  const int64_t layers = model::load_causal_lm(config.model)->config().num_hidden_layers;
  for (int64_t step = 1; step < 4; ++step) {
    const Checkpoint before = read_checkpoint(config.output / fmt::format("checkpoint-{}", step));
    const Checkpoint after =
        read_checkpoint(config.output / fmt::format("checkpoint-{}", step + 1));
    IstSchedule schedule(layers, {.every = 1000, .active_fraction = 0.5});
    schedule.set_scores(before.run.at("ist_scores").get<std::vector<double>>());
    const std::vector<int64_t> active = schedule.active_layers(step);
    std::map<std::string, Tensor> earlier(before.trainable.begin(), before.trainable.end());
    int64_t moved = 0;
    for (const auto& [name, value] : after.trainable) {
      const bool changed = value.to_f32_vector() != earlier.at(name).to_f32_vector();
      const auto layer_at = name.find(".layers.") + 8;
      const int64_t layer = std::stoll(name.substr(layer_at, name.find('.', layer_at) - layer_at));
      const bool is_active = std::binary_search(active.begin(), active.end(), layer);
      if (!is_active) {
        EXPECT_FALSE(changed) << "step " << step << ": " << name;
      }
      moved += changed;
    }
    EXPECT_GT(moved, 0) << "step " << step;
  }
}

// Interrupted after a score update and resumed from the checkpoint before it: the same adapter
// bytes as a straight run (the scores and the optimizer's update counts are in the checkpoint).
TEST(IstTraining, ResumesBitwise) {
  const auto make = [](const TempDir& dir) {
    TrainConfig config = config_for(dir, TrainMethod::lora);
    config.ist = {.enabled = true, .every = 3, .active_fraction = 0.5};
    config.training.steps = 8;
    config.save_every = 4;
    return config;
  };
  TempDir straight;
  run_training(make(straight), false, {});
  TempDir dir;
  const TrainConfig config = make(dir);
  const RunEvents interrupt{.step = [](const StepReport& report, int64_t) {
    if (report.step == 7) fail("interrupted");
  }};
  EXPECT_EQ(error_of([&] { run_training(config, false, interrupt); }), "interrupted");
  run_training(config, true, {});
  EXPECT_EQ(read_file(config.output / "adapter/adapter_model.safetensors"),
            read_file(make(straight).output / "adapter/adapter_model.safetensors"));
}

}  // namespace
}  // namespace retune::train
