// merge_adapters refuses bad input in one line that names the folder, file, field or tensor,
// and writes nothing then.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "merge/adapter_merge.h"
#include "merge/adapter_merge_fixtures.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

fs::path fixtures() {
  return fs::path(RETUNE_FIXTURES_DIR);
}

AdapterMergeOptions options_for(AdapterCombination combination, std::vector<double> weights,
                                std::optional<double> density = std::nullopt) {
  AdapterMergeOptions options;
  options.weights = std::move(weights);
  options.combination.combination = combination;
  options.combination.density = density;
  return options;
}

// A copy of input c with `edit` applied to its config text and `tensors` as its weights (c's
// own when empty).
fs::path edited_c(const fs::path& folder, const std::string& from, const std::string& to,
                  NamedTensors tensors = {}) {
  fs::create_directories(folder);
  std::string config = read_file(adapter_merge_input("c") / "adapter_config.json");
  if (!from.empty()) config.replace(config.find(from), from.size(), to);
  write_file(folder / "adapter_config.json", config);
  if (tensors.empty()) {
    fs::copy_file(adapter_merge_input("c") / "adapter_model.safetensors",
                  folder / "adapter_model.safetensors");
  } else {
    write_safetensors(folder / "adapter_model.safetensors", tensors);
  }
  return folder;
}

NamedTensors c_tensors() {
  const SafetensorsFile file =
      SafetensorsFile::open(adapter_merge_input("c") / "adapter_model.safetensors");
  NamedTensors tensors;
  for (const std::string& name : file.names()) tensors.emplace_back(name, file.tensor(name));
  return tensors;
}

class AdapterMergeErrors : public testing::Test {
 protected:
  TempDir dir;
  fs::path out = dir / "merged";
  fs::path a = adapter_merge_input("a");
  fs::path c = adapter_merge_input("c");

  std::string error(const std::vector<fs::path>& inputs, const AdapterMergeOptions& options) {
    const std::string message = error_of([&] { merge_adapters(inputs, out, options); });
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(out));
    return message;
  }
};

TEST_F(AdapterMergeErrors, WeightCountAndDensity) {
  using C = AdapterCombination;
  EXPECT_EQ(error({a, c}, options_for(C::cat, {1.0})), "--weights has 1 values for 2 adapters");
  EXPECT_EQ(error({a, c}, options_for(C::ties_svd, {1, 1})),
            "ties_svd needs a density (the fraction of entries kept)");
  EXPECT_EQ(error({a, c}, options_for(C::ties_svd, {1, 1}, 0.0)),
            "density must be in (0, 1], got 0");
  EXPECT_EQ(error({a, c}, options_for(C::dare_linear_svd, {1, 1}, 1.5)),
            "density must be in (0, 1], got 1.5");
  EXPECT_EQ(error({a, c}, options_for(C::svd, {1, 1}, 0.5)),
            "svd takes no density (ties*, dare_* and magnitude_prune* do)");
  AdapterMergeOptions rank = options_for(C::cat, {1, 1});
  rank.svd_rank = 2;
  EXPECT_EQ(error({a, c}, rank), "cat takes no svd rank or clamp (svd and *_svd do)");
  AdapterMergeOptions zero_rank = options_for(C::svd, {1, 1});
  zero_rank.svd_rank = 0;
  EXPECT_EQ(error({a, c}, zero_rank), "svd rank must be >= 1, got 0");
}

TEST_F(AdapterMergeErrors, AdaptersThatAreNotPlainLora) {
  const auto linear = options_for(AdapterCombination::linear, {1, 1});
  const fs::path ia3 = fixtures() / "peft_methods/qwen2/ia3/adapter";
  EXPECT_EQ(error({a, ia3}, linear), (ia3 / "adapter_config.json").string() +
                                         ": field \"peft_type\" must be \"LORA\", got \"IA3\"");
  const fs::path dora = fixtures() / "peft/qwen2/dora/after_3_steps";
  EXPECT_EQ(error({a, dora}, linear),
            (dora / "adapter_config.json").string() +
                ": use_dora is true; a DoRA adapter's magnitude vector needs the base model's "
                "weights, so merge-adapters merges plain LoRA adapters only");
  const fs::path saved = fixtures() / "peft/retune_adapters/qwen2_lora_modules_to_save";
  EXPECT_NE(error({a, saved}, linear).find(": modules_to_save is set;"), std::string::npos);
  NamedTensors tensors = c_tensors();
  tensors.emplace_back("base_model.model.model.embed_tokens.lora_embedding_A",
                       Tensor::zeros({2, 320}, DType::f32));
  const fs::path embedding = edited_c(dir / "embedding", "", "", tensors);
  EXPECT_EQ(error({embedding}, options_for(AdapterCombination::linear, {1})),
            (embedding / "adapter_model.safetensors").string() +
                ": tensor \"base_model.model.model.embed_tokens.lora_embedding_A\" is not a LoRA "
                "factor (base_model.model.<module>.lora_A.weight or .lora_B.weight); "
                "merge-adapters merges plain LoRA adapters");
}

TEST_F(AdapterMergeErrors, AdaptersThatDisagree) {
  EXPECT_EQ(error({a, c}, options_for(AdapterCombination::ties, {1, 1}, 0.5)),
            c.string() + " has rank 2 but " + a.string() +
                " has rank 4; ties needs adapters of one rank (cat and svd take any)");
  const fs::path regex = edited_c(dir / "regex", R"([
    "down_proj",
    "q_proj",
    "v_proj"
  ])",
                                  R"(".*q_proj")");
  EXPECT_EQ(error({a, regex}, options_for(AdapterCombination::cat, {1, 1})),
            regex.string() + ": target_modules is a string but " + a.string() +
                " has a list; PEFT merges adapters whose target_modules are all lists or all "
                "strings");
  NamedTensors tensors = c_tensors();
  const std::string key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
  for (auto& [name, tensor] : tensors) {
    if (name == key) tensor = Tensor::zeros({2, 32}, DType::f32);
  }
  const fs::path narrow = edited_c(dir / "narrow", "", "", tensors);
  EXPECT_EQ(error({a, narrow}, options_for(AdapterCombination::cat, {1, 1})),
            (narrow / "adapter_model.safetensors").string() +
                ": module model.layers.0.self_attn.q_proj has lora_A [2, 32] and lora_B [64, 2] "
                "but " +
                (a / "adapter_model.safetensors").string() +
                " has [4, 64] and [64, 4]; the adapters must adapt one base model");
}

// Base model names that differ merge, with a warning.
TEST(AdapterMergeWarnings, DifferentBaseNames) {
  TempDir dir;
  const fs::path other =
      edited_c(dir / "other", "\"tests/fixtures/hf/models/qwen2\"", "\"Qwen/Qwen2-0.5B\"");
  const AdapterMerge merged = merge_adapters({adapter_merge_input("a"), other}, dir / "merged",
                                             options_for(AdapterCombination::cat, {1, 1}));
  ASSERT_EQ(merged.warnings.size(), 1u);
  EXPECT_NE(merged.warnings[0].find("names the base model \"Qwen/Qwen2-0.5B\""), std::string::npos);
  EXPECT_EQ(merged.rank, 6);
}

}  // namespace
}  // namespace retune::merge
