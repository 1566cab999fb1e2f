// Self-distillation on retain data (train/self_distillation.h): the base's outputs and the row
// cursor, and in a whole run on a base that knows a retain text (run_fixture.h's
// forgetting_config, fine-tuned hard) it keeps the retain loss lower than the same run without
// it, is logged and recorded, and resumes bitwise.
#include "train/self_distillation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "io/file_contents.h"
#include "model/trainable_weights.h"
#include "support/error_of.h"
#include "train/run_fixture.h"
#include "train/training_run.h"

namespace retune::train {
namespace {

// Five retain texts, one per line.
std::filesystem::path write_retain_lines(const TempDir& dir) {
  const std::filesystem::path path = dir / "keep.jsonl";
  write_file(path,
             "{\"text\": \"the quiet river runs past the old stone mill\"}\n"
             "{\"text\": \"a green light over the paper boats\"}\n"
             "{\"text\": \"clouds gather above the hills at dusk\"}\n"
             "{\"text\": \"the sound of rain on a tin roof\"}\n"
             "{\"text\": \"an apple falls beside the garden wall\"}\n");
  return path;
}

BatchStream retain_rows(const TempDir& dir, const std::filesystem::path& model_folder) {
  Tokenizer tokenizer = Tokenizer::load(model_folder);
  return BatchStream(
      tokenize_examples(read_examples(write_retain_lines(dir), DataFormat::detect), tokenizer, {}),
      {1, {32, false, pad_token_id(model_folder, tokenizer)}, false, 0});
}

// A fresh LoRA adapter (B = 0) is the base: its distillation loss and gradients are zero, and
// the rows are taken batch_size at a time, cycling over the rows kept.
TEST(SelfDistillation, AFreshAdapterIsItsBaseAndRowsCycle) {
  TempDir dir;
  const std::filesystem::path folder = hf_model_fixture("qwen2");
  const auto model = model::load_causal_lm(folder);
  adapters::LoraConfig lora;
  lora.r = 4;
  lora.target_modules = {.form = adapters::ModuleSelector::Form::all_linear};
  adapters::LoraModel adapter = adapters::attach_lora(*model, lora, 1);
  const model::TrainingSetup setup =
      model::make_training_step(*model, [](const std::string&) { return false; });
  BatchStream rows = retain_rows(dir, folder);
  SelfDistillation distillation(*model, rows,
                                {.weight = 1, .temperature = 2, .rows = 3, .batch_size = 2});
  EXPECT_EQ(distillation.rows(), 3);
  for (const int64_t cursor : {2, 1, 0, 2}) {
    EXPECT_NEAR(distillation.add_gradients(*setup.step), 0.0, 1e-6);
    EXPECT_EQ(distillation.cursor(), cursor);
  }
  for (const adapters::AdapterParameter& p : adapter.parameters()) {
    for (const float g : p.grad.to_f32_vector()) ASSERT_NEAR(g, 0.0f, 1e-6f) << p.name;
  }
  EXPECT_EQ(error_of([&] { distillation.set_cursor(3); }),
            "the checkpoint's distillation cursor 3 is not a row of the 3 distilled: it was made "
            "by another config");
  BatchStream more_rows = retain_rows(dir, folder);
  EXPECT_EQ(error_of([&] { SelfDistillation(*model, more_rows, {.weight = 1, .temperature = 0}); }),
            "forgetting.distill_temperature must be a finite number > 0, got 0");
}

TEST(SelfDistillation, KeepsTheRetainLossLower) {
  TempDir plain_dir;
  const TrainSummary plain = run_training(forgetting_config(plain_dir), false, {});
  TempDir dir;
  TrainConfig config = forgetting_config(dir);
  config.forgetting.distill = 5;
  const TrainSummary distilled = run_training(config, false, {});
  ASSERT_EQ(plain.retain.size(), 1u);
  ASSERT_EQ(distilled.retain.size(), 1u);
  EXPECT_GT(plain.retain[0].forgetting(), 0.1);
  EXPECT_LT(distilled.retain[0].forgetting(), 0.5 * plain.retain[0].forgetting());
  // The task is still learned.
  EXPECT_LT(*distilled.last_eval_loss, *distilled.first_eval_loss - 1);
  const nlohmann::json summary = read_json_file(dir / "out" / "summary.json");
  EXPECT_EQ(summary["forgetting_control"]["distill"], 5.0);
  EXPECT_EQ(summary["forgetting_control"]["distill_temperature"], 1.0);
  // The distillation loss is logged beside the data loss: 0 at the first step (the base, up to
  // the rounding between the training and the inference forward), then positive.
  const std::string metrics = read_file(dir / "out" / "metrics.jsonl");
  std::vector<double> logged;
  for (size_t start = 0, end; (end = metrics.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const nlohmann::json line = nlohmann::json::parse(metrics.substr(start, end - start));
    if (line.contains("distill")) logged.push_back(line["distill"].get<double>());
  }
  ASSERT_EQ(logged.size(), 12u);
  EXPECT_NEAR(logged[0], 0.0, 1e-6);
  EXPECT_GT(logged[1], 1e-4);
}

// Stopped after step 5 (last checkpoint: step 4) and resumed: the distillation cursor (3 rows
// of 5 kept, 4 a step: at row 1 after step 4) continues where it was, so the model is the
// uninterrupted run's, bit for bit.
TEST(SelfDistillation, ResumesBitwise) {
  const auto distilled_config = [](const TempDir& dir) {
    TrainConfig config = forgetting_config(dir);
    config.forgetting.distill = 2;
    config.forgetting.distill_temperature = 2;
    config.forgetting.distill_rows = 3;
    config.forgetting.distill_data = {write_retain_lines(dir)};
    config.save_every = 4;
    return config;
  };
  expect_resumes_bitwise(distilled_config, 5);
}

}  // namespace
}  // namespace retune::train
