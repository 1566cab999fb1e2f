// k-FPF's phases: which trained tensors a phase chooses by name, that a phase moves only those
// (on the buffer, leaving every gradient zero), and a training run with phases that resumes
// bitwise and differs from the run without them.
#include "train/fpf_phase.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "io/file_contents.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "support/training_checks.h"
#include "train/run_fixture.h"
#include "train/training_run.h"

namespace retune::train {
namespace {

TEST(FpfPhase, ChoosesTensorsByNameAndTheLastLayer) {
  const std::vector<std::string> modules = {"norm", "lm_head", "last_layer"};
  EXPECT_TRUE(fpf_chooses("model.layers.0.input_layernorm.weight", modules, 2));
  EXPECT_TRUE(fpf_chooses("model.norm.weight", modules, 2));
  EXPECT_TRUE(fpf_chooses("lm_head.weight", modules, 2));
  EXPECT_TRUE(fpf_chooses("model.layers.1.mlp.down_proj.weight", modules, 2));
  EXPECT_TRUE(fpf_chooses("transformer.h.3.attn.c_attn.weight", modules, 4));
  EXPECT_FALSE(fpf_chooses("model.layers.0.mlp.down_proj.weight", modules, 2));
  EXPECT_FALSE(fpf_chooses("model.layers.10.mlp.up_proj.weight", modules, 2));
  EXPECT_FALSE(fpf_chooses("model.embed_tokens.weight", modules, 2));
}

TEST(FpfPhase, MovesOnlyTheChosenTensors) {
  const auto model = model::load_causal_lm(hf_model_fixture("qwen2"));
  const model::TrainingSetup setup = model::make_training_step(*model, everything);
  std::vector<Parameter> parameters;
  std::map<std::string, Tensor> before;
  for (const model::TrainedWeight& w : setup.weights) {
    parameters.push_back({w.name, w.value, w.grad, true});
    before[w.name] = w.value.clone();
  }
  std::vector<TokenizedExample> buffer = {{{10, 11, 12, 13, 14}, {true, true, true, true, true}},
                                          {{20, 21, 22, 23}, {true, true, true, true}}};
  FpfPhase phase(parameters, model->config().num_hidden_layers,
                 BatchStream(buffer, {2, {8, true, 0}, false, 0}),
                 {.every = 5, .steps = 3, .lr = 1e-2, .modules = {"norm"}});
  EXPECT_TRUE(phase.due(10));
  EXPECT_FALSE(phase.due(11));
  EXPECT_GT(phase.run(*setup.step), 0);
  for (const Parameter& p : parameters) {
    const bool chosen = p.name.find("norm") != std::string::npos;
    const Tensor& start = before.at(p.name);
    bool moved = false;
    for (int64_t k = 0; k < p.value.numel() && !moved; ++k) {
      moved = p.value.data<float>()[k] != start.data<float>()[k];
    }
    EXPECT_EQ(moved, chosen) << p.name;
    for (int64_t k = 0; k < p.grad.numel(); ++k) ASSERT_EQ(p.grad.data<float>()[k], 0) << p.name;
  }
  EXPECT_EQ(error_of([&] {
              FpfPhase(parameters, 2, BatchStream(buffer, {1, {8, true, 0}, false, 0}),
                       {.every = 1, .steps = 1, .lr = 1e-2, .modules = {"adapter"}});
            }),
            "forgetting.fpf_modules [adapter] choose none of the " +
                std::to_string(parameters.size()) + " trained tensors");
}

// Phases every 3 steps: the run differs from one without them, logs each phase's loss, and
// resumes bitwise (the buffer stream's position is in the checkpoint).
TEST(FpfPhase, RunWithPhasesResumesBitwise) {
  TempDir plain_dir;
  const TrainSummary plain = run_training(forgetting_config(plain_dir), false, {});
  TempDir straight_dir;
  TrainConfig straight = forgetting_config(straight_dir);
  straight.forgetting.fpf_every = 3;
  straight.forgetting.fpf_steps = 2;
  straight.save_every = 4;
  run_training(straight, false, {});
  EXPECT_NE(read_file(straight_dir / "out" / "model" / "model.safetensors"),
            read_file(plain.output / "model.safetensors"));
  EXPECT_NE(read_file(straight_dir / "out" / "metrics.jsonl").find("\"fpf_loss\""),
            std::string::npos);

  expect_resumes_bitwise(
      [](const TempDir& dir) {
        TrainConfig config = forgetting_config(dir);
        config.forgetting.fpf_every = 3;
        config.forgetting.fpf_steps = 2;
        config.save_every = 4;
        return config;
      },
      7);
}

}  // namespace
}  // namespace retune::train
