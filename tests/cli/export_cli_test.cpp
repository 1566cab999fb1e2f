// `retune export` and `--adapter` end to end on PEFT's fixtures: the merged model folder, loaded
// as a plain model, and the base model with the adapter applied on the fly both give the logits
// PEFT gave after its 3 training steps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "model/causal_lm.h"
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
