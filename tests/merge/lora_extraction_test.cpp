// `retune extract-lora`: from a base and a "fine-tuned" model whose every projection moved by a
// known low-rank ΔW (and whose final norm changed), the adapter retune (and PEFT) loads gives the
// fine-tuned weights back: exactly up to f32 at a rank >= the true ranks, the norm as a saved
// module; --sv-epsilon finds each module's true rank and writes the lower ones as rank_pattern.
#include "merge/lora_extraction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/lora_model.h"
#include "core/rng.h"
#include "io/file_contents.h"
#include "io/model_folder_writer.h"
#include "io/safetensors_model.h"
#include "merge_fixtures.h"
#include "model/causal_lm.h"
#include "model/trainable_weights.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

// Rank of ΔW per projection: 1 for layer 1's q_proj, 2 elsewhere.
int64_t true_rank(const std::string& name) {
  return name == "model.layers.1.self_attn.q_proj.weight" ? 1 : 2;
}

// Writes the base with ΔW = B·A (entries ~0.02) on every projection and a changed final norm.
std::map<std::string, std::vector<float>> write_tuned(const std::filesystem::path& out) {
  const SafetensorsModel base = SafetensorsModel::open(merge_base_model());
  Rng rng(11);
  NamedTensors weights;
  std::map<std::string, std::vector<float>> values;
  for (const std::string& name : base.names()) {
    const Tensor w = base.tensor(name);
    std::vector<float> v = w.to_f32_vector();
    if (name.find(".layers.") != std::string::npos && w.rank() == 2) {
      const int64_t rows = w.size(0);
      const int64_t cols = w.size(1);
      const int64_t r = true_rank(name);
      std::vector<double> a(static_cast<size_t>(r * cols)), b(static_cast<size_t>(rows * r));
      for (double& x : a) x = rng.uniform(-0.2, 0.2);
      for (double& x : b) x = rng.uniform(-0.2, 0.2);
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          double d = 0;
          for (int64_t k = 0; k < r; ++k)
            d += b[static_cast<size_t>(i * r + k)] * a[static_cast<size_t>(k * cols + j)];
          v[static_cast<size_t>(i * cols + j)] += static_cast<float>(d);
        }
      }
    } else if (name == "model.norm.weight") {
      for (float& x : v) x += 0.1f;
    }
    values[name] = v;
    weights.emplace_back(name, Tensor::from_vector<float>(w.shape(), DType::f32, v));
  }
  write_model_folder(merge_base_model(), weights, out);
  return values;
}

// The base with the adapter merged in, by weight name.
std::map<std::string, std::vector<float>> merged_with(const std::filesystem::path& adapter) {
  const std::unique_ptr<model::CausalLm> model = model::load_causal_lm(merge_base_model());
  const adapters::LoraModel lora = adapters::load_lora(*model, adapter);
  std::map<std::string, std::vector<float>> out;
  for (auto& [name, weight] : model::named_weights(*model)) out[name] = weight.to_f32_vector();
  for (auto& [name, weight] : lora.merged_weights()) out[name] = weight.to_f32_vector();
  return out;
}

TEST(MergeExtractLora, GivesTheTunedModelBack) {
  TempDir dir;
  const auto tuned = write_tuned(dir / "tuned");
  const LoraExtraction result =
      extract_lora(merge_base_model(), dir / "tuned", dir / "adapter", {.rank = 3});
  EXPECT_EQ(result.modules, 14u);
  EXPECT_EQ(result.max_rank, 3);
  EXPECT_EQ(result.saved, std::vector<std::string>{"model.norm"});
  const nlohmann::json config = read_json_file(dir / "adapter" / "adapter_config.json");
  EXPECT_EQ(config["r"], 3);
  EXPECT_EQ(config["lora_alpha"], 3);
  EXPECT_TRUE(config["rank_pattern"].empty());
  const auto merged = merged_with(dir / "adapter");
  for (const auto& [name, want] : tuned) {
    ASSERT_TRUE(merged.contains(name)) << name;
    const std::vector<float>& got = merged.at(name);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 2e-5) << name << i;
  }
}

TEST(MergeExtractLora, FindsEachModulesRankWithSvEpsilon) {
  TempDir dir;
  const auto tuned = write_tuned(dir / "tuned");
  const LoraExtraction result = extract_lora(merge_base_model(), dir / "tuned", dir / "adapter",
                                             {.rank = 8, .sv_epsilon = 1e-3});
  EXPECT_EQ(result.max_rank, 2);
  const nlohmann::json config = read_json_file(dir / "adapter" / "adapter_config.json");
  EXPECT_EQ(config["r"], 2);
  EXPECT_EQ(config["rank_pattern"], nlohmann::json({{"model.layers.1.self_attn.q_proj", 1}}));
  EXPECT_EQ(config["alpha_pattern"], nlohmann::json({{"model.layers.1.self_attn.q_proj", 1}}));
  const auto merged = merged_with(dir / "adapter");
  for (const auto& [name, want] : tuned) {
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(merged.at(name)[i], want[i], 2e-5) << name;
  }
}

TEST(MergeExtractLora, RunsFromTheCli) {
  TempDir dir;
  write_tuned(dir / "tuned");
  const RetuneRun run =
      run_retune("extract-lora --base " + merge_base_model().string() + " --tuned " +
                 (dir / "tuned").string() + " --rank 4 --out " + (dir / "adapter").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("LoRA of 14 modules, rank up to 4, 1 modules saved whole"),
            std::string::npos)
      << run.out;
  const RetuneRun bad =
      run_retune("extract-lora --base " + merge_base_model().string() + " --tuned " +
                     (dir / "none").string() + " --rank 4 --out " + (dir / "x").string(),
                 true);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "retune: error: " + (dir / "none").string() + ": model folder not found\n");
}

}  // namespace
}  // namespace retune::merge
