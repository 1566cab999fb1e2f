// `retune train` with IST around LoRA from the CLI: it trains (on the CPU and on a GPU), reports
// the layers' importance scores, and is refused for a method without an adapter.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

// A run on `device` (cpu or cuda) in `dir`: its layers' scores, each finite, and its first
// step's loss.
struct IstRun {
  std::vector<double> scores;
  double first_loss = 0;
};
IstRun expect_training_reports_the_scores(const TempDir& dir, const std::string& device) {
  const RetuneRun run = run_retune(train_command(dir, " --device " + device), true);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("ist: 25% of the layers train each step, importance every 2 steps"),
            std::string::npos)
      << run.out;
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  IstRun result{summary["ist_scores"].get<std::vector<double>>()};
  EXPECT_EQ(result.scores.size(), 2u);  // the fixture's layers
  for (const double score : result.scores) EXPECT_TRUE(std::isfinite(score)) << device;
  // The first step's line (after the evaluation lines of step 0).
  std::istringstream metrics(read_file(dir / "run/metrics.jsonl"));
  for (std::string line; std::getline(metrics, line) && result.first_loss == 0;) {
    result.first_loss = nlohmann::json::parse(line).value("loss", 0.0);
  }
  EXPECT_GT(result.first_loss, 0) << device;
  return result;
}

TEST(IstCli, TrainsAndReportsTheScores) {
  expect_training_reports_the_scores(TempDir(), "cpu");
}

// On a GPU the trial losses are evaluated there: finite scores, and the first step (before IST
// has changed anything) the CPU's within bf16 tolerance.
TEST(IstCli, GpuTrainsAndReportsTheScores) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const IstRun cpu = expect_training_reports_the_scores(TempDir(), "cpu");
  const IstRun gpu = expect_training_reports_the_scores(TempDir(), "cuda");
  EXPECT_NEAR(gpu.first_loss, cpu.first_loss, 1e-2 * cpu.first_loss);
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
