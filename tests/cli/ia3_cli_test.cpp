// `retune train` with method ia3 from the CLI (examples/ia3.yaml, PEFT's default targets) on
// fixture models, Qwen2 (nn.Linear, biases on q and v) and GPT-2 (Conv1D): it writes a PEFT IA3
// adapter folder that `retune forward --adapter` applies on the fly and `retune export` merges
// into a model folder giving the same logits. An adapter of another method is refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

class Ia3Cli : public testing::TestWithParam<const char*> {};

TEST_P(Ia3Cli, TrainsThenForwardsAndExports) {
  TempDir dir;
  const std::string model = hf_model_fixture(GetParam()).string();
  const RetuneRun train = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) + "/../../examples/ia3.yaml --set model=" +
          model + " --set tokenizer=" + hf_model_fixture("qwen2").string() + " --set output=" +
          (dir / "run").string() + " --set training.steps=2 --set threads=1 --set data.eval=[]",
      true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  // Qwen2: q_proj, v_proj, down_proj; GPT-2: c_attn, mlp.c_proj; in 2 layers.
  const std::string modules = GetParam() == std::string("gpt2") ? "4" : "6";
  EXPECT_NE(train.out.find("ia3: " + modules + " modules, 2 of them feed-forward"),
            std::string::npos)
      << train.out;
  EXPECT_EQ(read_json_file(dir / "run/summary.json")["method"], "ia3");
  const nlohmann::json config = read_json_file(dir / "run/adapter/adapter_config.json");
  EXPECT_EQ(config["peft_type"], "IA3");
  EXPECT_EQ(config["base_model_name_or_path"], model);

  const std::string ids = " --ids 1,2,3,4,5";
  const RetuneRun adapted =
      run_retune("forward --model " + model + " --adapter " + (dir / "run/adapter").string() + ids +
                 " --out " + (dir / "adapted.safetensors").string());
  ASSERT_EQ(adapted.exit_code, 0) << adapted.out;
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " + (dir / "run/adapter").string() +
                 " --out " + (dir / "merged").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const RetuneRun merged = run_retune("forward --model " + (dir / "merged").string() + ids +
                                      " --out " + (dir / "merged.safetensors").string());
  ASSERT_EQ(merged.exit_code, 0) << merged.out;
  const RetuneRun base = run_retune("forward --model " + model + ids + " --out " +
                                    (dir / "base.safetensors").string());
  ASSERT_EQ(base.exit_code, 0) << base.out;
  const auto logits = [&](const char* file) {
    return SafetensorsFile::open(dir / file).tensor("logits").to_f32_vector();
  };
  const std::vector<float> a = logits("adapted.safetensors"), m = logits("merged.safetensors"),
                           b = logits("base.safetensors");
  ASSERT_EQ(a.size(), m.size());
  float moved = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], m[i], 1e-4f) << i;
    moved = std::max(moved, std::abs(a[i] - b[i]));
  }
  EXPECT_GT(moved, 1e-3f);  // two steps changed the model
}

INSTANTIATE_TEST_SUITE_P(Models, Ia3Cli, testing::Values("qwen2", "gpt2"),
                         [](const auto& test) { return std::string(test.param); });

TEST(Ia3CliErrors, AnAdapterOfAnotherMethodIsRefused) {
  TempDir dir;
  const RetuneRun run = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) +
          "/../../examples/ia3.yaml --set model=" + hf_model_fixture("llama_gqa_untied").string() +
          " --set tokenizer=" + hf_model_fixture("qwen2").string() + " --set output=" +
          (dir / "run").string() + " --set adapter=" + std::string(RETUNE_FIXTURES_DIR) +
          "/peft/llama_gqa_untied/lora/initial",
      true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("a peft_type \"LORA\" adapter, which method ia3 does not train"),
            std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace retune
