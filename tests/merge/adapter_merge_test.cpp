// merge_adapters against PEFT 0.21's add_weighted_adapter (tests/fixtures/adapter_merge): for
// every deterministic combination the written tensors are PEFT's (the factors themselves; for
// svd and *_svd, whose singular vectors' signs are arbitrary, each module's B·A), the config is
// PEFT's, the folder loads in retune, and with the cat adapter retune's logits are PEFT's.
#include "merge/adapter_merge.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "adapters/lora_model.h"
#include "io/safetensors_file.h"
#include "linalg/matrix.h"
#include "merge/adapter_merge_fixtures.h"
#include "model/causal_lm.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The case's add_weighted_adapter arguments as merge_adapters options.
AdapterMergeOptions case_options(const json& arguments) {
  AdapterMergeOptions options;
  options.weights = arguments["weights"].get<std::vector<double>>();
  options.combination.combination =
      parse_adapter_combination(arguments["combination_type"].get<std::string>());
  if (arguments.contains("density"))
    options.combination.density = arguments["density"].get<double>();
  if (arguments.value("majority_sign_method", "total") == "frequency") {
    options.combination.majority_sign = MajoritySign::frequency;
  }
  if (arguments.contains("svd_rank")) options.svd_rank = arguments["svd_rank"].get<int64_t>();
  return options;
}

fs::path merge_case(const std::string& name, const fs::path& out) {
  const json& arguments = adapter_merge_metadata()["cases"][name];
  std::vector<fs::path> inputs;
  for (const json& input : arguments["adapters"]) {
    inputs.push_back(adapter_merge_input(input.get<std::string>()));
  }
  merge_adapters(inputs, out, case_options(arguments));
  return out;
}

double max_abs(const std::vector<double>& values) {
  double m = 0;
  for (double v : values) m = std::max(m, std::fabs(v));
  return m;
}

// The largest |x - y| over the largest |y|.
double relative_error(const std::vector<double>& x, const std::vector<double>& y) {
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst / std::max(max_abs(y), 1e-30);
}

std::vector<double> values(const Tensor& t) {
  const std::vector<float> f = t.to_f32_vector();
  return {f.begin(), f.end()};
}

// B·A of a module of an adapter file, row-major.
std::vector<double> product(const SafetensorsFile& file, const std::string& module) {
  const linalg::Matrix ba = linalg::multiply(
      linalg::read_matrix(file.tensor(module + ".lora_B.weight"), "test", "B", "[out, r]"),
      linalg::read_matrix(file.tensor(module + ".lora_A.weight"), "test", "A", "[r, in]"));
  return ba.transposed().values;
}

json sorted_targets(json config) {
  auto targets = config["target_modules"].get<std::vector<std::string>>();
  std::sort(targets.begin(), targets.end());
  config["target_modules"] = targets;
  return config;
}

class AdapterMergeParity : public testing::TestWithParam<std::string> {};

TEST_P(AdapterMergeParity, WritesPeftsAdapter) {
  TempDir dir;
  const fs::path ours = merge_case(GetParam(), dir / "merged");
  const fs::path peft = adapter_merge_fixture(GetParam());
  EXPECT_EQ(sorted_targets(read_json_file(ours / "adapter_config.json")),
            sorted_targets(read_json_file(peft / "adapter_config.json")));
  const SafetensorsFile mine = SafetensorsFile::open(ours / "adapter_model.safetensors");
  const SafetensorsFile theirs = SafetensorsFile::open(peft / "adapter_model.safetensors");
  std::vector<std::string> names = mine.names(), peft_names = theirs.names();
  std::sort(names.begin(), names.end());
  std::sort(peft_names.begin(), peft_names.end());
  ASSERT_EQ(names, peft_names);
  const json& arguments = adapter_merge_metadata()["cases"][GetParam()];
  // One adapter merges linearly whatever the combination asked for.
  const bool factorised =
      factorises(parse_adapter_combination(arguments["combination_type"].get<std::string>())) &&
      arguments["adapters"].size() > 1;
  double worst = 0;
  for (const std::string& name : names) {
    ASSERT_EQ(mine.info(name).shape, theirs.info(name).shape) << name;
    EXPECT_EQ(mine.info(name).dtype, DType::f32) << name;
    if (factorised) {
      if (!name.ends_with(".lora_A.weight")) continue;
      const std::string module = name.substr(0, name.size() - std::string(".lora_A.weight").size());
      worst = std::max(worst, relative_error(product(mine, module), product(theirs, module)));
    } else {
      worst =
          std::max(worst, relative_error(values(mine.tensor(name)), values(theirs.tensor(name))));
    }
  }
  testing::Test::RecordProperty("max_relative_error", fmt::format("{:.3g}", worst));
  EXPECT_LE(worst, 1e-5);
}

TEST_P(AdapterMergeParity, LoadsInRetune) {
  TempDir dir;
  const fs::path ours = merge_case(GetParam(), dir / "merged");
  const auto lm = model::load_causal_lm(hf_model_fixture("qwen2"));
  const adapters::LoraModel lora = adapters::load_lora(*lm, ours);
  EXPECT_FALSE(lora.modules().empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AdapterMergeParity, testing::ValuesIn(adapter_merge_cases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

// The cat adapter in retune's forward gives the logits PEFT computed with its own cat adapter.
TEST(AdapterMerge, CatGivesPeftsLogits) {
  TempDir dir;
  const fs::path ours = merge_case("cat", dir / "merged");
  const auto lm = model::load_causal_lm(hf_model_fixture("qwen2"));
  adapters::load_lora(*lm, ours);
  const SafetensorsFile peft =
      SafetensorsFile::open(adapter_merge_fixture("cat") / "logits.safetensors");
  const Tensor input_ids = peft.tensor("input_ids").to(DType::i32).contiguous();
  const std::vector<double> got = values(lm->forward(input_ids));
  const std::vector<double> want = values(peft.tensor("logits"));
  double error = 0;
  for (size_t i = 0; i < got.size(); ++i) error = std::max(error, std::fabs(got[i] - want[i]));
  testing::Test::RecordProperty("logits_max_abs_error", fmt::format("{:.3g}", error));
  EXPECT_LE(error, 1e-4);
  const std::vector<double> base =
      values(model::load_causal_lm(hf_model_fixture("qwen2"))->forward(input_ids));
  double base_error = 0;
  for (size_t i = 0; i < base.size(); ++i)
    base_error = std::max(base_error, std::fabs(base[i] - want[i]));
  EXPECT_GE(base_error, 1e-3);
}

}  // namespace
}  // namespace retune::merge
