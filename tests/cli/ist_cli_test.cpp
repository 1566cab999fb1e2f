// `retune train` with IST around LoRA from the CLI: it trains (on the CPU and on a GPU), reports
// the layers' importance scores, and is refused for a method without an adapter.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

std::string train_command(const TempDir& dir, const std::string& extra) {
  return "train " + std::string(RETUNE_FIXTURES_DIR) +
         "/../../examples/lora-chat.yaml --set model=" + hf_model_fixture("qwen2").string() +
         " --set output=" + (dir / "run").string() +
         " --set training.steps=3 --set threads=1 --set ist.enabled=true --set ist.every=2" + extra;
}

// The run on `device` (cpu or cuda).
void expect_training_reports_the_scores(const std::string& device) {
  TempDir dir;
  const RetuneRun run = run_retune(train_command(dir, " --device " + device), true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("ist: 25% of the layers train each step, importance every 2 steps"),
            std::string::npos)
      << run.out;
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  EXPECT_EQ(summary["ist_scores"].size(), 2u);  // the fixture's layers
}

TEST(IstCli, TrainsAndReportsTheScores) {
  expect_training_reports_the_scores("cpu");
}

// On a GPU: the trial losses are evaluated there.
TEST(IstCli, GpuTrainsAndReportsTheScores) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  expect_training_reports_the_scores("cuda");
}

TEST(IstCli, NeedsAnAdapter) {
  TempDir dir;
  const RetuneRun run = run_retune(train_command(dir, " --set method=full"), true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("ist.enabled: IST chooses the layers of an adapter, and method full has "
                         "none"),
            std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace retune
