// `retune train` with method ssf from the CLI (examples/ssf.yaml, every linear and norm) on
// fixture models, Llama (export turns attention_bias and mlp_bias on) and GPT-2 (Conv1D,
// LayerNorm): it writes an SSF adapter folder that `retune forward --adapter` applies on the fly
// and `retune export` merges into a model folder giving the same logits; training goes on from
// the adapter with `adapter:`.
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

class SsfCli : public testing::TestWithParam<const char*> {};

TEST_P(SsfCli, TrainsThenForwardsExportsAndGoesOn) {
  TempDir dir;
  const std::string model = hf_model_fixture(GetParam()).string();
  const std::string train_args = "train " + std::string(RETUNE_FIXTURES_DIR) +
                                 "/../../examples/ssf.yaml --set model=" + model +
                                 " --set tokenizer=" + hf_model_fixture("qwen2").string() +
                                 " --set training.steps=2 --set threads=1 --set data.eval=[]";
  const RetuneRun train = run_retune(train_args + " --set output=" + (dir / "run").string(), true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  // Two layers of 7 linears and 2 norms (GPT-2: 4 and 2); every shift can merge.
  const std::string modules = GetParam() == std::string("gpt2") ? "12" : "18";
  EXPECT_NE(train.out.find("ssf: " + modules + " modules (4 of them norms), 0 without a shift"),
            std::string::npos)
      << train.out;
  EXPECT_EQ(read_json_file(dir / "run/summary.json")["method"], "ssf");
  const nlohmann::json config = read_json_file(dir / "run/adapter/adapter_config.json");
  EXPECT_EQ(config["peft_type"], "SSF");

  const std::string ids = " --ids 1,2,3,4,5";
  const RetuneRun adapted =
      run_retune("forward --model " + model + " --adapter " + (dir / "run/adapter").string() + ids +
                 " --out " + (dir / "adapted.safetensors").string());
  ASSERT_EQ(adapted.exit_code, 0) << adapted.out;
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " + (dir / "run/adapter").string() +
                 " --out " + (dir / "merged").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  if (GetParam() == std::string("llama_tied")) {
    const nlohmann::json merged_config = read_json_file(dir / "merged/config.json");
    EXPECT_EQ(merged_config["attention_bias"], true);
    EXPECT_EQ(merged_config["mlp_bias"], true);
  }
  const RetuneRun merged = run_retune("forward --model " + (dir / "merged").string() + ids +
                                      " --out " + (dir / "merged.safetensors").string());
  ASSERT_EQ(merged.exit_code, 0) << merged.out;
  const auto logits = [&](const char* file) {
    return SafetensorsFile::open(dir / file).tensor("logits").to_f32_vector();
  };
  const std::vector<float> a = logits("adapted.safetensors"), m = logits("merged.safetensors");
  ASSERT_EQ(a.size(), m.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], m[i], 1e-4f) << i;

  const RetuneRun more = run_retune(train_args + " --set output=" + (dir / "more").string() +
                                        " --set adapter=" + (dir / "run/adapter").string(),
                                    true);
  ASSERT_EQ(more.exit_code, 0) << more.out;
  EXPECT_EQ(read_json_file(dir / "more/adapter/adapter_config.json")["target_modules"],
            config["target_modules"]);
}

INSTANTIATE_TEST_SUITE_P(Models, SsfCli, testing::Values("llama_tied", "gpt2"),
                         [](const auto& test) { return std::string(test.param); });

}  // namespace
}  // namespace retune
