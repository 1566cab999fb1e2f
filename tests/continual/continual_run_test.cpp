// retune continual on a tiny model and two tasks: the matrix holds each stage's own exact match
// (recomputed here from the saved outputs), the curves count steps over the whole sequence and
// start each task where the last ended, replay keeps a reservoir of the earlier task and mixes it
// in, LoRA goes on training one adapter, and adapter-per-task scores each task with its own
// adapter or with their mean.
#include "continual/continual_run.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/lora_model.h"
#include "continual/adapter_mean.h"
#include "continual/continual_fixture.h"
#include "eval/exact_match.h"
#include "io/file_contents.h"
#include "model/generation_config.h"
#include "tokenizer/tokenizer.h"

namespace retune::continual {
namespace {

namespace fs = std::filesystem;

// Exact match of a model on a task's test file, as `retune eval` scores it.
double score(const model::CausalLm& model, const ContinualConfig& config, size_t task) {
  Tokenizer tokenizer = Tokenizer::load(config.train.model);
  const eval::ExactMatchOptions options{
      .stop_ids = eval::end_token_ids(model::load_generation_config(config.train.model), tokenizer,
                                      std::nullopt)};
  return eval::exact_match(model, tokenizer,
                           read_examples(config.tasks[task].test, DataFormat::detect), options)
      .accuracy();
}

std::unique_ptr<model::CausalLm> with_adapter(const fs::path& base, const fs::path& adapter) {
  auto model = model::load_causal_lm(base);
  adapters::load_lora(*model, adapter);
  return model;
}

TEST(ContinualRun, SequentialMatrixHoldsEachStagesScores) {
  TempDir dir;
  const ContinualConfig config = tiny_continual_config(dir);
  const ContinualResult result = run_continual(config, {});
  ASSERT_EQ(result.matrix.size(), 2u);
  const auto base = model::load_causal_lm(config.train.model);
  for (size_t j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(result.start[j], score(*base, config, j));
  for (size_t i = 0; i < 2; ++i) {
    const auto stage = model::load_causal_lm(
        dir / "out" / fmt::format("task-{}-{}", i, config.tasks[i].name) / "model");
    for (size_t j = 0; j < 2; ++j) {
      EXPECT_DOUBLE_EQ(result.matrix[i][j], score(*stage, config, j)) << i << " " << j;
    }
  }
  EXPECT_GT(result.matrix[0][0], result.start[0]);  // copy is learned
  // Evaluations at 0, 8, 16, 24 of each task, counted over the sequence; task 1 starts with
  // task 0's last scores.
  std::vector<int64_t> steps;
  for (const auto& curve : result.curves) {
    for (const EvaluationPoint& point : curve) steps.push_back(point.step);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 8, 16, 24, 24, 32, 40, 48}));
  EXPECT_EQ(result.curves[1].front().accuracy, result.matrix[0]);
  EXPECT_EQ(result.curves[1].back().accuracy, result.matrix[1]);

  const nlohmann::json saved = read_json_file(dir / "out" / "continual.json");
  EXPECT_EQ(saved["tasks"], (std::vector<std::string>{"copy", "reverse"}));
  EXPECT_EQ(saved["matrix"][1][0].get<double>(), result.matrix[1][0]);
  EXPECT_EQ(saved["metrics"]["backward_transfer"].get<double>(),
            result.matrix[1][0] - result.matrix[0][0]);
  EXPECT_TRUE(saved["metrics"]["min_acc"][0].is_null());
  EXPECT_EQ(saved["runs"], (std::vector<std::string>{"task-0-copy", "task-1-reverse"}));
}

TEST(ContinualRun, ReplayMixesAReservoirOfEarlierTasksIn) {
  TempDir dir;
  ContinualConfig config = tiny_continual_config(dir);
  config.strategy = Strategy::replay;
  config.buffer_size = 50;
  run_continual(config, {});
  EXPECT_FALSE(fs::exists(dir / "out" / "replay-buffer-0.jsonl"));
  const std::string buffer = read_text_file(dir / "out" / "replay-buffer-1.jsonl");
  const std::string copy_lines = read_text_file(config.tasks[0].train);
  std::istringstream lines(buffer);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_NE(copy_lines.find(line + "\n"), std::string::npos) << line;
  }
  EXPECT_EQ(count, 50);
  const nlohmann::json summary = read_json_file(dir / "out" / "task-1-reverse" / "summary.json");
  EXPECT_EQ(summary["forgetting_control"]["replay"], 0.25);
}

TEST(ContinualRun, KfpfFineTunesOnTheReservoirFromTheSecondTask) {
  TempDir dir;
  ContinualConfig config = tiny_continual_config(dir);
  config.strategy = Strategy::kfpf;
  config.train.forgetting.fpf_every = 4;
  config.train.forgetting.fpf_steps = 2;
  run_continual(config, {});
  EXPECT_FALSE(
      read_json_file(dir / "out" / "task-0-copy" / "summary.json").contains("forgetting_control"));
  const nlohmann::json second = read_json_file(dir / "out" / "task-1-reverse" / "summary.json");
  EXPECT_EQ(second["forgetting_control"]["fpf_every"], 4);
  EXPECT_EQ(second["forgetting_control"]["replay"], 0);
  EXPECT_TRUE(fs::exists(dir / "out" / "replay-buffer-1.jsonl"));
}

TEST(ContinualRun, SequentialLoraGoesOnTrainingOneAdapter) {
  TempDir dir;
  ContinualConfig config = tiny_continual_config(dir);
  config.train.method = train::TrainMethod::lora;
  const ContinualResult result = run_continual(config, {});
  EXPECT_EQ(result.curves[1].front().accuracy, result.matrix[0]);
  const auto stage = with_adapter(config.train.model, dir / "out" / "task-1-reverse" / "adapter");
  EXPECT_DOUBLE_EQ(result.matrix[1][0], score(*stage, config, 0));
}

TEST(ContinualRun, AdapterPerTaskScoresEachTaskWithItsOwnAdapterOrTheirMean) {
  TempDir dir;
  ContinualConfig config = tiny_continual_config(dir);
  config.train.method = train::TrainMethod::lora;
  config.strategy = Strategy::adapter_per_task;
  const ContinualResult own = run_continual(config, {});
  EXPECT_EQ(own.matrix[1][0], own.matrix[0][0]);
  EXPECT_EQ(own.matrix[0][1], own.start[1]);
  const auto second = with_adapter(config.train.model, dir / "out" / "task-1-reverse" / "adapter");
  EXPECT_DOUBLE_EQ(own.matrix[1][1], score(*second, config, 1));

  config.merge = AdapterMerge::mean;
  config.train.output = dir / "mean";
  const ContinualResult mean = run_continual(config, {});
  const auto merged = load_adapter_mean(
      config.train.model,
      {dir / "mean" / "task-0-copy" / "adapter", dir / "mean" / "task-1-reverse" / "adapter"});
  for (size_t j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(mean.matrix[1][j], score(*merged, config, j));
}

}  // namespace
}  // namespace retune::continual
