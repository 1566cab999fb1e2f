// Every deterministic method against mergekit's output on the fixture models
// (tests/fixtures/merge, made by tools/fixtures/make_merge_fixtures.py with mergekit 0.1.5):
// the same tensor names, shapes, dtypes and depth, and every stored value within 1e-6 of the
// tensor's largest magnitude (f32 outputs) or one bfloat16 step (bf16 outputs). The largest
// difference seen is printed per case.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/safetensors_model.h"
#include "merge/merge_config.h"
#include "merge/model_merge.h"
#include "merge_fixtures.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

class MergeMergekitParity : public testing::TestWithParam<std::string> {};

TEST_P(MergeMergekitParity, MatchesMergekit) {
  const std::string name = GetParam();
  TempDir dir;
  const MergeConfig config = read_merge_config(merge_fixture_config(name));
  std::vector<std::string> warnings;
  MergeOptions options;
  options.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  run_merge(config, dir / "out", options);

  const SafetensorsFile expected =
      SafetensorsFile::open(merge_fixtures() / "expected" / (name + ".safetensors"));
  const auto shapes = nlohmann::json::parse(expected.metadata().at("shapes"));
  const auto dtypes = nlohmann::json::parse(expected.metadata().at("dtypes"));
  const SafetensorsModel got = SafetensorsModel::open(dir / "out");
  const nlohmann::json got_config = read_json_file(dir / "out" / "config.json");
  EXPECT_EQ(got_config["num_hidden_layers"].get<int64_t>(),
            std::stoll(expected.metadata().at("num_hidden_layers")));

  std::vector<std::string> expected_names;
  for (const auto& [tensor, shape] : shapes.items()) expected_names.push_back(tensor);
  EXPECT_EQ(got.names(), expected_names);

  double worst = 0;
  std::string worst_tensor;
  size_t bf16_steps = 0;  // bf16 values one step away from mergekit's
  for (const std::string& tensor : expected.names()) {
    ASSERT_TRUE(got.has(tensor)) << tensor;
    const SafetensorsTensorInfo& info = got.info(tensor);
    std::vector<int64_t> shape;
    for (int d = 0; d < info.shape.rank(); ++d) shape.push_back(info.shape[d]);
    EXPECT_EQ(nlohmann::json(shape), shapes[tensor]) << tensor;
    EXPECT_EQ(torch_dtype_name(info.dtype), dtypes[tensor].get<std::string>()) << tensor;
    const std::vector<float> want = expected.tensor(tensor).to_f32_vector();
    const std::vector<float> all = got.tensor(tensor).to_f32_vector();
    ASSERT_GE(all.size(), want.size()) << tensor;
    float scale = 0;
    for (float v : want) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < want.size(); ++i) {
      const double diff = std::fabs(static_cast<double>(all[i]) - want[i]);
      if (info.dtype == DType::f32) {
        const double relative = diff / scale;
        if (relative > worst) {
          worst = relative;
          worst_tensor = tensor;
        }
        ASSERT_LE(relative, 1e-6) << tensor << " [" << i << "] " << all[i] << " vs " << want[i];
      } else {
        // One step of the 8-bit mantissa.
        bf16_steps += all[i] != want[i];
        ASSERT_LE(diff, std::ldexp(std::fabs(want[i]), -7) + 1e-30)
            << tensor << " [" << i << "] " << all[i] << " vs " << want[i];
      }
    }
  }
  std::printf(
      "  %s: max |retune - mergekit| / max|mergekit| = %.3g (%s); bf16 values a step "
      "apart: %zu\n",
      name.c_str(), worst, worst_tensor.c_str(), bf16_steps);
  if (name == "linear_no_normalize") {
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("sum to 0.8"), std::string::npos) << warnings[0];
  } else {
    EXPECT_TRUE(warnings.empty()) << warnings[0];
  }
}

INSTANTIATE_TEST_SUITE_P(MergeFixtures, MergeMergekitParity,
                         testing::Values("linear", "linear_no_normalize", "task_arithmetic", "ties",
                                         "ties_gradient_filter", "breadcrumbs", "breadcrumbs_ties",
                                         "dare_ties_density1", "slerp", "nuslerp", "nuslerp_rows",
                                         "nuslerp_row_wise_no_base", "model_stock",
                                         "model_stock_filter_wise", "passthrough_slices",
                                         "ties_slices", "lora_input", "tokenizer_source_base"));

}  // namespace
}  // namespace retune::merge
