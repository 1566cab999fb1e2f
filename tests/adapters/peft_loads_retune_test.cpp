// Adapters saved by retune load in PEFT 0.21.2 and give the logits retune gives
// (tests/fixtures/peft/retune_adapters, made by tools/fixtures/make_peft_fixtures.py
// --retune-adapters; tools/fixtures/README.md describes them). Each case folder holds the
// adapter_config.json and adapter_model.safetensors that `retune train` wrote, unchanged, and the
// logits PEFT computed for the fixture batch after PeftModel.from_pretrained(base, folder) (the
// script checked there were no missing or unexpected keys and no warnings). Loading the same
// folder here and running the batch must give PEFT's logits: PEFT read retune's files as retune
// means them. A re-save must give the same files, so the check covers what retune writes today.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "adapters/lora_model.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "peft_fixtures.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json& retune_section() {
  return peft_metadata()["retune_adapters"];
}

std::vector<std::string> retune_adapter_cases() {
  std::vector<std::string> cases;
  if (!peft_metadata().contains("retune_adapters")) return cases;
  for (const auto& [name, unused] : retune_section()["cases"].items()) cases.push_back(name);
  return cases;
}

fs::path case_folder(const std::string& name) {
  return peft_fixture("retune_adapters") / name;
}

std::unique_ptr<model::CausalLm> base_model(const std::string& name) {
  return model::load_causal_lm(
      hf_model_fixture(retune_section()["cases"][name]["base_model"].get<std::string>()));
}

// max |a - b| over every entry.
double max_abs_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<float> x = a.to_f32_vector(), y = b.to_f32_vector();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i])));
  }
  return worst;
}

TEST(PeftLoadsRetune, FixturesCoverLoraDoraRsloraPatternsAndModulesToSave) {
  const std::vector<std::string> cases = retune_adapter_cases();
  const std::set<std::string> have(cases.begin(), cases.end());
  for (const char* name : {"qwen2_lora", "gpt2_lora", "qwen3_dora",
                           "llama_gqa_untied_rslora_patterns", "qwen2_lora_modules_to_save"}) {
    EXPECT_TRUE(have.count(name)) << name;
  }
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(folder_listing(case_folder(name)),
              (std::vector<std::string>{"adapter_config.json", "adapter_model.safetensors",
                                        "info.json", "peft_logits.safetensors"}));
    const json& summary = retune_section()["cases"][name];
    EXPECT_TRUE(summary["peft_missing_keys"].empty());
    EXPECT_TRUE(summary["peft_unexpected_keys"].empty());
  }
}

class PeftLoadsRetune : public testing::TestWithParam<std::string> {};

// The modules PEFT built from retune's config (info.json "modules", one row per module in
// module_fields order: base_class, in, out, has_bias, fan_in_fan_out, r, alpha, scaling) are the
// ones retune loads, with the same shapes, ranks and scalings.
TEST_P(PeftLoadsRetune, PeftBuiltTheModulesRetuneLoads) {
  const auto lm = base_model(GetParam());
  const LoraModel lora = load_lora(*lm, case_folder(GetParam()));
  expect_modules_as_peft(lora, read_json_file(case_folder(GetParam()) / "info.json")["modules"]);
}

// retune's inference forward with the adapter gives PEFT's logits for the batch, and the adapter
// matters: the base model alone is far from them.
TEST_P(PeftLoadsRetune, GivesPeftsLogits) {
  const auto lm = base_model(GetParam());
  const LoraModel lora = load_lora(*lm, case_folder(GetParam()));
  const SafetensorsFile peft =
      SafetensorsFile::open(case_folder(GetParam()) / "peft_logits.safetensors");
  const Tensor input_ids = peft.tensor("input_ids").to(DType::i32).contiguous();
  const Tensor want = peft.tensor("logits");
  const double error = max_abs_error(lm->forward(input_ids), want);
  testing::Test::RecordProperty("logits_max_abs_error", fmt::format("{:.3g}", error));
  EXPECT_LE(error, 1e-4);
  const double base_error = max_abs_error(base_model(GetParam())->forward(input_ids), want);
  EXPECT_GE(base_error, 1e-2);
}

// Saving the loaded adapter writes the recorded files again: the tensors byte for byte, the same
// config (target_modules compared as a set).
TEST_P(PeftLoadsRetune, RetuneStillWritesTheseFiles) {
  const fs::path folder = case_folder(GetParam());
  const auto lm = base_model(GetParam());
  json recorded = read_json_file(folder / "adapter_config.json");
  TempDir dir;
  save_lora(load_lora(*lm, folder), *lm, dir / "adapter",
            recorded["base_model_name_or_path"].get<std::string>());
  EXPECT_EQ(read_file(dir / "adapter/adapter_model.safetensors"),
            read_file(folder / "adapter_model.safetensors"));
  json saved = read_json_file(dir / "adapter/adapter_config.json");
  for (json* config : {&saved, &recorded}) {
    auto targets = (*config)["target_modules"].get<std::vector<std::string>>();
    std::sort(targets.begin(), targets.end());
    (*config)["target_modules"] = targets;
  }
  EXPECT_EQ(saved, recorded);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PeftLoadsRetune, testing::ValuesIn(retune_adapter_cases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace retune::adapters
