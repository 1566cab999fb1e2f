// Whole training runs on a fixture model and a small prompt/completion dataset: each method
// lowers the eval loss and writes an output that loads back; an interrupted run resumed from
// its checkpoint ends bitwise where an uninterrupted one does; bad set-ups are refused before
// anything is written.
#include "train/training_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/trained_adapter.h"
#include "core/device.h"
#include "data/dataset_file.h"
#include "data/pad_token.h"
#include "data/tokenized_example.h"
#include "eval/loss_evaluation.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "model/causal_lm.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"
#include "train/run_fixture.h"

namespace retune::train {
namespace {

using testing::HasSubstr;

class TrainingRunMethods : public testing::TestWithParam<TrainMethod> {};

TEST_P(TrainingRunMethods, LowersTheEvalLossAndWritesAnOutput) {
  TempDir dir;
  const TrainSummary summary = run_training(config_for(dir, GetParam()), false, {});
  ASSERT_TRUE(summary.first_eval_loss && summary.last_eval_loss);
  EXPECT_LT(*summary.last_eval_loss, *summary.first_eval_loss - 0.1);
  EXPECT_EQ(summary.steps, 12);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "checkpoint-12"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "metrics.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "summary.json"));
  const bool adapter = trains_adapter(GetParam());
  const auto reloaded = model::load_causal_lm(adapter ? hf_model_fixture("qwen2") : summary.output);
  if (adapter) adapters::load_adapter(*reloaded, summary.output);
  EXPECT_EQ(summary.output.filename(), adapter ? "adapter" : "model");
}

INSTANTIATE_TEST_SUITE_P(Methods, TrainingRunMethods,
                         testing::Values(TrainMethod::lora, TrainMethod::ia3, TrainMethod::full,
                                         TrainMethod::bitfit, TrainMethod::norm));

// Stopped by an error after step 5 (its last checkpoint: step 4), then resumed: the adapter is
// the uninterrupted run's, bit for bit (LoRA dropout masks included). With save_total_limit 2,
// the resumed run keeps only its two newest checkpoints.
TEST(TrainingRun, ResumedRunEndsBitwiseLikeAnUninterruptedOne) {
  TempDir straight_dir;
  TrainConfig straight = config_for(straight_dir, TrainMethod::lora);
  straight.save_every = 4;
  straight.lora.dropout = 0.1;
  run_training(straight, false, {});

  TempDir dir;
  TrainConfig config = config_for(dir, TrainMethod::lora);
  config.save_every = 4;
  config.save_total_limit = 2;
  config.lora.dropout = 0.1;
  const RunEvents interrupt{.step = [](const StepReport& report, int64_t) {
    if (report.step == 5) fail("interrupted");
  }};
  EXPECT_EQ(error_of([&] { run_training(config, false, interrupt); }), "interrupted");
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "checkpoint-4"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "adapter"));
  const TrainSummary resumed = run_training(config, true, {});
  EXPECT_EQ(resumed.steps, 12);
  EXPECT_EQ(read_file(dir / "out" / "adapter" / "adapter_model.safetensors"),
            read_file(straight_dir / "out" / "adapter" / "adapter_model.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "checkpoint-4"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "checkpoint-8"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "checkpoint-12"));
  EXPECT_TRUE(std::filesystem::exists(straight_dir / "out" / "checkpoint-4"));
}

// data.retain: each file's loss on the base model (an evaluation of the untrained model gives
// the same number) and at the end; metrics.jsonl has them at every evaluation; a resumed run
// keeps the base losses of the run it continues.
TEST(TrainingRun, ReportsForgettingOnRetainData) {
  TempDir dir;
  TrainConfig config = config_with_retain(dir, TrainMethod::lora);
  config.eval_every = 4;
  config.save_every = 4;
  const RunEvents interrupt{.step = [](const StepReport& report, int64_t) {
    if (report.step == 6) fail("interrupted");
  }};
  EXPECT_EQ(error_of([&] { run_training(config, false, interrupt); }), "interrupted");
  const TrainSummary summary = run_training(config, true, {});
  ASSERT_EQ(summary.retain.size(), 1u);
  const RetainResult& r = summary.retain[0];
  EXPECT_EQ(r.file, dir / "retain.jsonl");
  const double base_loss =
      retain_loss(*model::load_causal_lm(config.model), config, dir / "retain.jsonl");
  EXPECT_DOUBLE_EQ(r.base_loss, base_loss);
  EXPECT_NE(r.last_loss, r.base_loss);
  EXPECT_DOUBLE_EQ(r.forgetting(), r.last_loss - r.base_loss);
  // Evaluations at steps 0, 4 (before the interruption), 8 and 12 (after resuming from step 4).
  std::vector<int64_t> steps;
  std::istringstream lines(read_file(dir / "out" / "metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json m = nlohmann::json::parse(line);
    if (!m.contains("retain")) continue;
    steps.push_back(m["step"].get<int64_t>());
    const nlohmann::json& entry = m["retain"][(dir / "retain.jsonl").string()];
    EXPECT_DOUBLE_EQ(entry["forgetting"].get<double>(), entry["loss"].get<double>() - base_loss);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 4, 8, 12}));
  const nlohmann::json saved = read_json_file(dir / "out" / "summary.json");
  EXPECT_DOUBLE_EQ(saved["retain"][0]["base_loss"].get<double>(), base_loss);
}

// training.forgetting_budget: a large learning rate on data unlike the retain text makes the
// retain loss rise past a small budget; training stops at that evaluation and the output is
// the best evaluation's within the budget. A budget nothing reaches changes nothing.
TEST(TrainingRun, StopsAtTheForgettingBudgetKeepingTheBestWithinIt) {
  TempDir dir;
  TrainConfig config = config_with_retain(dir, TrainMethod::full);
  config.training.lr = 5e-2;
  config.eval_every = 2;
  config.training.forgetting_budget = 0.05;
  const TrainSummary stopped = run_training(config, false, {});
  ASSERT_TRUE(stopped.budget_exceeded_at && stopped.output_step);
  EXPECT_LT(*stopped.budget_exceeded_at, 12);
  EXPECT_EQ(stopped.steps, *stopped.budget_exceeded_at);
  EXPECT_LT(*stopped.output_step, *stopped.budget_exceeded_at);
  ASSERT_EQ(stopped.retain.size(), 1u);
  EXPECT_LE(stopped.retain[0].forgetting(), 0.05);
  // The output is the best evaluation's weights: evaluating it gives the recorded retain loss.
  const double output_loss =
      retain_loss(*model::load_causal_lm(stopped.output), config, dir / "retain.jsonl");
  EXPECT_NEAR(output_loss, stopped.retain[0].last_loss, 1e-5);
  const nlohmann::json saved = read_json_file(dir / "out" / "summary.json");
  EXPECT_EQ(saved["forgetting_budget"]["exceeded_at_step"], *stopped.budget_exceeded_at);
  EXPECT_EQ(saved["forgetting_budget"]["output_step"], *stopped.output_step);

  TempDir roomy_dir;
  TrainConfig roomy = config_with_retain(roomy_dir, TrainMethod::full);
  roomy.training.forgetting_budget = 100;
  const TrainSummary finished = run_training(roomy, false, {});
  EXPECT_EQ(finished.steps, 12);
  EXPECT_FALSE(finished.budget_exceeded_at);
}

// The same on a GPU: the evaluations run there, the best weights within the budget are restored
// there and then written from the CPU; evaluated on the CPU, they give the recorded retain loss
// within the GPU's bf16 tolerance.
TEST(TrainingRun, GpuStopsAtTheForgettingBudgetKeepingTheBestWithinIt) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  TempDir dir;
  TrainConfig config = config_with_retain(dir, TrainMethod::full);
  config.training.device = Device::cuda(0);
  config.training.lr = 5e-2;
  config.eval_every = 2;
  config.training.forgetting_budget = 0.05;
  const TrainSummary stopped = run_training(config, false, {});
  ASSERT_TRUE(stopped.budget_exceeded_at && stopped.output_step);
  EXPECT_LT(*stopped.output_step, *stopped.budget_exceeded_at);
  ASSERT_EQ(stopped.retain.size(), 1u);
  EXPECT_LE(stopped.retain[0].forgetting(), 0.05);
  const double output_loss =
      retain_loss(*model::load_causal_lm(stopped.output), config, dir / "retain.jsonl");
  EXPECT_NEAR(output_loss, stopped.retain[0].last_loss, 1e-2 * stopped.retain[0].last_loss);
}

// `adapter`: a second run goes on training the first run's adapter — it starts where the first
// ended — and writes an adapter with the first's settings.
TEST(TrainingRun, GoesOnTrainingAnAdapter) {
  TempDir dir;
  const TrainSummary first = run_training(config_for(dir, TrainMethod::lora), false, {});
  TrainConfig next = config_for(dir, TrainMethod::lora);
  next.output = dir / "next";
  next.adapter = first.output;
  next.lora.r = 2;          // ignored: the adapter's own config applies
  next.training.lr = 2e-3;  // a fresh optimizer at the first run's rate overshoots
  const TrainSummary second = run_training(next, false, {});
  EXPECT_NEAR(*second.first_eval_loss, *first.last_eval_loss, 1e-6);
  EXPECT_LT(*second.last_eval_loss, *second.first_eval_loss);
  EXPECT_EQ(read_json_file(second.output / "adapter_config.json")["r"], 4);

  TrainConfig full = next;
  full.method = TrainMethod::full;
  EXPECT_THAT(
      error_of([&] { run_training(full, false, {}); }),
      HasSubstr("only methods lora, ia3, ssf and poly go on training an adapter, not method full"));
  TrainConfig ia3 = next;
  ia3.method = TrainMethod::ia3;
  EXPECT_THAT(error_of([&] { run_training(ia3, false, {}); }),
              HasSubstr("a peft_type \"LORA\" adapter, which method ia3 does not train"));
}

// data.long_documents: split learns a long text whole, in consecutive rows, where truncate keeps
// its first row.
TEST(TrainingRun, SplitsLongDocumentsIntoRows) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the quiet river runs past the old stone mill. ";
  write_file(dir / "corpus.txt", text);
  TrainConfig config = config_for(dir, TrainMethod::full);
  config.data.train = {dir / "corpus.txt"};
  config.data.eval = {};
  config.training.steps = 2;
  EXPECT_EQ(run_training(config, false, {}).truncated_examples, 1);
  config.data.long_documents = "split";
  config.output = dir / "split";
  EXPECT_EQ(run_training(config, false, {}).truncated_examples, 0);
}

TEST(TrainingRun, RefusesBadSetUpsBeforeWritingAnything) {
  TempDir dir;
  TrainConfig bitfit = config_for(dir, TrainMethod::bitfit);
  bitfit.model = hf_model_fixture("llama_tied");  // no biases
  bitfit.tokenizer = hf_model_fixture("qwen2");
  EXPECT_THAT(error_of([&] { run_training(bitfit, false, {}); }),
              HasSubstr("method bitfit trains nothing in"));
  TrainConfig unknown = config_for(dir, TrainMethod::lora);
  unknown.lora.target_modules = {"q_proj", "query"};
  EXPECT_THAT(error_of([&] { run_training(unknown, false, {}); }), HasSubstr("query"));
  write_file(dir / "bad.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 3}\n");
  TrainConfig malformed = config_for(dir, TrainMethod::lora);
  malformed.data.train = {dir / "bad.jsonl"};
  EXPECT_THAT(error_of([&] { run_training(malformed, false, {}); }),
              HasSubstr("bad.jsonl:2: field \"prompt\" must be a string, got 3"));
  // GPT-2's rows cannot be longer than its learned positions (128 in the fixture).
  TrainConfig long_rows = config_for(dir, TrainMethod::lora);
  long_rows.model = hf_model_fixture("gpt2");
  long_rows.tokenizer = hf_model_fixture("qwen2");
  long_rows.data.seq_len = 129;
  EXPECT_THAT(error_of([&] { run_training(long_rows, false, {}); }),
              HasSubstr("data.seq_len 129 exceeds the 128 learned positions of " +
                        hf_model_fixture("gpt2").string() + " (n_positions)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

}  // namespace
}  // namespace retune::train
