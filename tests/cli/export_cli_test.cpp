// `retune export` and `--adapter` end to end on PEFT's fixtures: the merged model folder, loaded
// as a plain model, and the base model with the adapter applied on the fly both give the logits
// PEFT gave after its 3 training steps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "model/causal_lm.h"
#include "model/model_config.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

std::filesystem::path peft_case(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "peft" / name;
}

// The largest |logit - PEFT's logit| of the fixture batch through `model`.
float worst_logit_error(const model::CausalLm& model, const std::string& name) {
  const Tensor ids = SafetensorsFile::open(peft_case(name) / "batch.safetensors")
                         .tensor("input_ids")
                         .to(DType::i32);
  const Tensor want =
      SafetensorsFile::open(peft_case(name) / "logits.safetensors").tensor("logits");
  const Tensor got = model.forward(ids);
  return std::max(max_row_error(got, want, 0), max_row_error(got, want, 1));
}

class ExportCli : public testing::TestWithParam<std::string> {};

TEST_P(ExportCli, MergedModelGivesPeftsLogits) {
  const std::string name = GetParam();
  const std::string base = name.substr(0, name.find('/'));
  TempDir dir;
  const RetuneRun run = run_retune("export --model " + hf_model_fixture(base).string() +
                                   " --adapter " + (peft_case(name) / "after_3_steps").string() +
                                   " --out " + (dir / "merged").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_LT(worst_logit_error(*model::load_causal_lm(dir / "merged"), name), 1e-4f);
}

TEST_P(ExportCli, ForwardWithAnAdapterGivesPeftsLogits) {
  const std::string name = GetParam();
  const std::string base = name.substr(0, name.find('/'));
  TempDir dir;
  const std::string ids = "--ids 1,2,3";
  const RetuneRun run = run_retune("forward --model " + hf_model_fixture(base).string() +
                                   " --adapter " + (peft_case(name) / "after_3_steps").string() +
                                   " " + ids + " --out " + (dir / "f.safetensors").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const RetuneRun merged_run =
      run_retune("export --model " + hf_model_fixture(base).string() + " --adapter " +
                 (peft_case(name) / "after_3_steps").string() + " --out " + (dir / "m").string());
  ASSERT_EQ(merged_run.exit_code, 0);
  const RetuneRun plain = run_retune("forward --model " + (dir / "m").string() + " " + ids +
                                     " --out " + (dir / "g.safetensors").string());
  ASSERT_EQ(plain.exit_code, 0);
  const std::vector<float> a =
      SafetensorsFile::open(dir / "f.safetensors").tensor("logits").to_f32_vector();
  const std::vector<float> b =
      SafetensorsFile::open(dir / "g.safetensors").tensor("logits").to_f32_vector();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4f) << i;
}

// The head of a tied model trained in full (modules_to_save) is exported as its own weight: the
// merged folder says tie_word_embeddings false and gives the adapter's logits.
TEST(ExportCliModulesToSave, WritesAnUntiedHead) {
  TempDir dir;
  const std::string model = hf_model_fixture("qwen2").string();
  const RetuneRun train =
      run_retune("train " + std::string(RETUNE_FIXTURES_DIR) +
                 "/../../examples/lora-chat.yaml --set model=" + model +
                 " --set output=" + (dir / "run").string() +
                 " --set training.steps=3 --set threads=1 --set training.lr=1.0e-2"
                 " --set lora.modules_to_save=[lm_head]");
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const std::string ids = " --ids 5,17,42,9";
  const RetuneRun adapted =
      run_retune("forward --model " + model + " --adapter " + (dir / "run/adapter").string() + ids +
                 " --out " + (dir / "a.safetensors").string());
  ASSERT_EQ(adapted.exit_code, 0) << adapted.out;
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " + (dir / "run/adapter").string() +
                 " --out " + (dir / "merged").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_FALSE(model::load_model_config(dir / "merged").tie_word_embeddings);
  EXPECT_TRUE(SafetensorsFile::open(dir / "merged/model.safetensors").has("lm_head.weight"));
  const RetuneRun merged = run_retune("forward --model " + (dir / "merged").string() + ids +
                                      " --out " + (dir / "m.safetensors").string());
  ASSERT_EQ(merged.exit_code, 0) << merged.out;
  const auto logits = [&](const char* file) {
    return SafetensorsFile::open(dir / file).tensor("logits").to_f32_vector();
  };
  const auto max_difference = [](const std::vector<float>& x, const std::vector<float>& y) {
    EXPECT_EQ(x.size(), y.size());
    float worst = 0;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      worst = std::max(worst, std::abs(x[i] - y[i]));
    }
    return worst;
  };
  EXPECT_LT(max_difference(logits("a.safetensors"), logits("m.safetensors")), 1e-4f);
  // The adapter changed the logits (the base model's are far from them).
  const std::vector<int32_t> tokens = {5, 17, 42, 9};
  const std::vector<float> base =
      model::load_causal_lm(model)
          ->forward(Tensor::from_vector<int32_t>({1, 4}, DType::i32, tokens))
          .to_f32_vector();
  EXPECT_GT(max_difference(base, logits("a.safetensors")), 1e-2f);
}

INSTANTIATE_TEST_SUITE_P(PeftCases, ExportCli,
                         testing::Values("llama_gqa_untied/lora", "qwen2/dora", "qwen3/rslora",
                                         "gpt2/lora", "gpt2/dora"),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           name[name.find('/')] = '_';
                           return name;
                         });

}  // namespace
}  // namespace retune
