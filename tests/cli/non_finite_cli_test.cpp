// Non-finite steps from the CLI, injected through a real file: a copy of an untied fixture model
// whose embedding rows for the tokens of one "poisoned" word are NaN (first poisoned line) or
// +Inf (second). Without shuffling or packing, row i of the data is step i, so the steps that
// read those lines have a non-finite loss and gradient: `retune train` skips and counts them,
// and stops after training.max_skipped_steps of them with its last checkpoint kept, from which
// --resume goes on (the skip count resumes too) to the adapter an unstopped run writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/file_contents.h"
#include "io/model_folder_writer.h"
#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace retune {
namespace {

using testing::HasSubstr;

constexpr const char* kClean = "a bad cab faced a bead";
constexpr const char* kPoisoned = "zyzzyva quiz";
constexpr int kPoisonedSteps[] = {3, 6};  // 1-based lines of the data file

// The fixture with the embedding rows of the poisoned word's tokens (those the clean line does
// not have) made non-finite: the first such token's row NaN, the others' +Inf.
void write_poisoned_model(const std::filesystem::path& out) {
  const std::filesystem::path base = hf_model_fixture("llama_gqa_untied");
  Tokenizer tokenizer = Tokenizer::load(base);
  const std::vector<int32_t> clean = tokenizer.encode(kClean, false);
  const std::set<int32_t> clean_ids(clean.begin(), clean.end());
  std::vector<int32_t> poisoned;
  for (const int32_t id : tokenizer.encode(kPoisoned, false)) {
    if (!clean_ids.contains(id)) poisoned.push_back(id);
  }
  ASSERT_GE(poisoned.size(), 2u);
  NamedTensors weights = folder_tensors(base);
  for (auto& [name, weight] : weights) {
    if (name != "model.embed_tokens.weight") continue;
    std::vector<float> values = weight.to_f32_vector();
    const int64_t width = weight.shape()[1];
    for (size_t i = 0; i < poisoned.size(); ++i) {
      const float bad =
          i == 0 ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < width; ++c) values[poisoned[i] * width + c] = bad;
    }
    weight = Tensor::from_vector(weight.shape(), DType::f32, std::span<const float>(values))
                 .to(weight.dtype());
  }
  write_model_folder(base, weights, out);
}

class NonFiniteCli : public testing::Test {
 protected:
  void SetUp() override {
    write_poisoned_model(dir_ / "model");
    std::ostringstream data;
    for (int line = 1; line <= 8; ++line) {
      const bool poisoned = line == kPoisonedSteps[0] || line == kPoisonedSteps[1];
      data << nlohmann::json{{"text", poisoned ? kPoisoned : kClean}}.dump() << "\n";
    }
    write_file(dir_ / "data.jsonl", data.str());
  }

  RetuneRun train(const std::string& output, int max_skipped, bool resume = false) {
    return run_retune(
        "train " + std::string(RETUNE_FIXTURES_DIR) +
            "/../../examples/lora-chat.yaml --set model=" + (dir_ / "model").string() +
            " --set output=" + (dir_ / output).string() +
            " --set data.train=" + (dir_ / "data.jsonl").string() +
            " --set data.format=text --set data.eval=[] --set data.retain=[] --set "
            "data.packing=false"
            " --set data.shuffle=false --set data.seq_len=32 --set training.batch_size=1"
            " --set training.grad_accum=1 --set training.steps=8 --set training.epochs=1"
            " --set lora.dropout=0 --set save_every=1 --set threads=1"
            " --set training.max_skipped_steps=" +
            std::to_string(max_skipped) + (resume ? " --resume" : ""),
        true);
  }

  std::vector<nlohmann::json> metrics(const std::string& output) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_file(dir_ / output / "metrics.jsonl"));
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json entry = nlohmann::json::parse(line);
      if (entry.contains("loss")) lines.push_back(entry);
    }
    return lines;
  }

  TempDir dir_;
};

TEST_F(NonFiniteCli, SkipsAndCountsTheStepsThenFinishes) {
  const RetuneRun run = train("run", 2);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("2 steps were skipped: a non-finite loss or gradient norm"));
  EXPECT_EQ(read_json_file(dir_ / "run/summary.json")["skipped_steps"], 2);
  const std::vector<nlohmann::json> steps = metrics("run");
  ASSERT_EQ(steps.size(), 8u);
  for (const nlohmann::json& step : steps) {
    const int64_t number = step["step"];
    const bool poisoned = number == kPoisonedSteps[0] || number == kPoisonedSteps[1];
    EXPECT_EQ(step["skipped"], poisoned) << step.dump();
    EXPECT_EQ(step["loss"].is_number(), !poisoned) << step.dump();  // JSON writes NaN as null
  }
  const SafetensorsFile adapter =
      SafetensorsFile::open(dir_ / "run/adapter/adapter_model.safetensors");
  for (const std::string& name : adapter.names()) {
    for (const float v : adapter.tensor(name).to_f32_vector())
      ASSERT_TRUE(std::isfinite(v)) << name;
  }
}

TEST_F(NonFiniteCli, StopsPastTheLimitKeepingTheLastCheckpointThenResumes) {
  const RetuneRun stopped = train("stopped", 1);
  EXPECT_EQ(stopped.exit_code, 1) << stopped.out;
  EXPECT_THAT(stopped.out,
              HasSubstr("retune: error: training stopped at step 6: 2 steps had a non-finite loss "
                        "or gradient norm"));
  EXPECT_THAT(stopped.out, HasSubstr("training.max_skipped_steps is 1); the last checkpoint, " +
                                     (dir_ / "stopped/checkpoint-5").string() +
                                     ", is kept (--resume goes on)\n"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "stopped/adapter"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "stopped/checkpoint-6"));

  const RetuneRun resumed = train("stopped", 2, true);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_THAT(resumed.out, HasSubstr("(step 5)"));
  EXPECT_EQ(read_json_file(dir_ / "stopped/summary.json")["skipped_steps"], 2);
  const RetuneRun straight = train("straight", 2);
  ASSERT_EQ(straight.exit_code, 0) << straight.out;
  EXPECT_EQ(read_file(dir_ / "stopped/adapter/adapter_model.safetensors"),
            read_file(dir_ / "straight/adapter/adapter_model.safetensors"));
}

}  // namespace
}  // namespace retune
