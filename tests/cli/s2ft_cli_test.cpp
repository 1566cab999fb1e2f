// `retune train` with method s2ft: only the selected o_proj / down_proj columns of the output
// model change (in the base's layout), the trainable count is what the ratios give, the blocks
// saved as a sparse difference export to the same model; bad ratios and a selection of nothing
// are refused.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/folder_weights.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

std::string train_command(const std::string& model, const std::filesystem::path& output,
                          const std::string& sets) {
  return "train " + std::string(RETUNE_FIXTURES_DIR) +
         "/../../examples/lora-chat.yaml --set model=" + model +
         " --set output=" + output.string() +
         " --set method=s2ft --set training.steps=2 --set threads=1" + sets;
}

TEST(S2ftCli, TrainsOnlyTheSelectedColumns) {
  TempDir dir;
  const std::string model = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun train = run_retune(
      train_command(model, dir / "run",
                    " --set s2ft.o_ratio=0.5 --set s2ft.d_ratio=0.25 --set training.lr=1e-2"),
      true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("s2ft: o_proj: 2 of 4 head groups, v_proj: 0, down_proj: 64 of 256 FFN "
                           "channels, up_proj: 0"),
            std::string::npos)
      << train.out;
  // 2 layers of 2 KV groups (2 heads of 16 dims each), hidden 64, 128 FFN channels:
  // round(0.5 * 4) groups x 32 columns and round(0.25 * 256) channels, 64 rows each.
  const int64_t expected = 2 * 32 * 64 + 64 * 64;
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  EXPECT_EQ(summary["method"], "s2ft");
  EXPECT_EQ(summary["trainable_parameters"], expected);
  // The blocks, at their places in the base's layout.
  const SafetensorsFile diff = SafetensorsFile::open(dir / "run/s2ft/sparse_diff.safetensors");
  std::map<std::string, std::set<int64_t>> selected;
  int64_t entries = 0;
  for (const std::string& name : diff.names()) {
    if (!name.ends_with(".indices")) continue;
    const Tensor indices = diff.tensor(name);
    const std::string weight = name.substr(0, name.size() - 8);
    EXPECT_TRUE(weight.ends_with("o_proj.weight") || weight.ends_with("down_proj.weight"))
        << weight;
    selected[weight].insert(indices.data<int64_t>(), indices.data<int64_t>() + indices.numel());
    entries += indices.numel();
  }
  EXPECT_EQ(entries, expected);
  // The output model differs from the base at the selected columns only, whole columns at a time.
  const auto base = folder_weights(model);
  const auto trained = folder_weights(dir / "run/model");
  int64_t changed = 0;
  for (const auto& [name, values] : base) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] == trained.at(name)[i]) continue;
      ++changed;
      EXPECT_TRUE(selected[name].contains(static_cast<int64_t>(i))) << name << " " << i;
    }
  }
  for (const auto& [name, indices] : selected) {
    const int64_t inputs = name.ends_with("o_proj.weight") ? 64 : 128;  // 4 heads x 16, F
    std::set<int64_t> columns;
    for (const int64_t i : indices) columns.insert(i % inputs);
    EXPECT_EQ(static_cast<int64_t>(indices.size()), static_cast<int64_t>(columns.size()) * 64)
        << name;
  }
  EXPECT_GT(changed, expected * 9 / 10);
  // Exported onto the base, the blocks give the trained model.
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " + (dir / "run/s2ft").string() +
                 " --out " + (dir / "m").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_EQ(folder_weights(dir / "m"), trained);
}

TEST(S2ftCli, RefusesBadRatiosAndAnEmptySelection) {
  TempDir dir;
  const std::string llama = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun ratio =
      run_retune(train_command(llama, dir / "a", " --set s2ft.d_ratio=1.5"), true);
  EXPECT_EQ(ratio.exit_code, 1);
  EXPECT_NE(ratio.out.find("s2ft.d_ratio must be a number in [0, 1], got \"1.5\""),
            std::string::npos)
      << ratio.out;
  const RetuneRun nothing = run_retune(
      train_command(llama, dir / "b", " --set s2ft.o_ratio=0 --set s2ft.d_ratio=0"), true);
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.out.find("nothing would train"), std::string::npos) << nothing.out;
}

}  // namespace
}  // namespace retune
