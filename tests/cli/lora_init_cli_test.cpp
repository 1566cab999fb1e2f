// `retune train` with each computed LoRA start (lora.init): it trains from the CLI on a fixture
// model, logs the start, and saves an adapter that loads on the unmodified base (residual starts
// are saved converted, rank 2r; EVA's as PEFT saves it) and exports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "adapters/lora_config.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

class LoraInitCli : public ::testing::TestWithParam<const char*> {};

TEST_P(LoraInitCli, TrainsSavesAndExports) {
  const std::string init = GetParam();
  TempDir dir;
  const std::string model = hf_model_fixture("qwen2").string();
  const RetuneRun train = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) + "/../../examples/lora-chat.yaml --set model=" +
          model + " --set output=" + (dir / "run").string() +
          " --set training.steps=2 --set threads=1 --set lora.r=2 --set lora.init=" + init +
          " --set calibration.rows=8 --set calibration.batch_size=2",
      true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("lora init " + init + ":"), std::string::npos) << train.out;
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  EXPECT_EQ(summary["lora_init"], init);
  const adapters::LoraConfig saved =
      adapters::read_lora_config(dir / "run/adapter/adapter_config.json");
  // EVA's adapter is saved as PEFT saves it (init_lora_weights "eva": it needs no residual).
  EXPECT_EQ(saved.start,
            init == "eva" ? adapters::LoraStartMethod::eva : adapters::LoraStartMethod::random);
  EXPECT_EQ(saved.r, init == "eva" ? 2 : 4);
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " + (dir / "run/adapter").string() +
                 " --out " + (dir / "merged").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
}

INSTANTIATE_TEST_SUITE_P(Starts, LoraInitCli,
                         ::testing::Values("pissa", "pissa_niter_2", "olora", "corda", "eva",
                                           "lora_ga"),
                         [](const auto& test) { return std::string(test.param); });

TEST(LoraInitCliErrors, ABadInitNamesTheChoices) {
  TempDir dir;
  const RetuneRun run = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) +
          "/../../examples/lora-chat.yaml --set model=" + hf_model_fixture("qwen2").string() +
          " --set output=" + (dir / "run").string() + " --set lora.init=loftq",
      true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("lora.init must be one of kaiming, gaussian, pissa, pissa_niter_<k> "
                         "(k >= 1), olora, eva, corda, lora_ga, mhr_mu, got \"loftq\""),
            std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace retune
