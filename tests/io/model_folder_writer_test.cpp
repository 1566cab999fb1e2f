#include "io/model_folder_writer.h"

#include <gtest/gtest.h>

#include "io/file_contents.h"
#include "io/safetensors_model.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

// A copy of a fixture model through the writer loads with the same weights and files.
TEST(ModelFolderWriter, CopiesTheFilesAndWritesTheWeights) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  write_model_folder(base, folder_tensors(base), dir / "out");
  std::vector<std::string> want = folder_listing(base);
  std::erase(want, "reference.safetensors");  // a weight file of the fixture, not copied
  EXPECT_EQ(folder_listing(dir / "out"), want);
  EXPECT_EQ(read_file(dir / "out" / "config.json"), read_file(base / "config.json"));
  const SafetensorsModel written = SafetensorsModel::open(dir / "out");
  const SafetensorsModel original = SafetensorsModel::open(base);
  ASSERT_EQ(written.names(), original.names());
  for (const std::string& name : written.names()) {
    EXPECT_EQ(written.tensor(name).to_f32_vector(), original.tensor(name).to_f32_vector()) << name;
  }
}

TEST(ModelFolderWriter, ShardsLikeSavePretrained) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("gpt2");
  write_model_folder(base, folder_tensors(base), dir / "out", nlohmann::json::object(), 100'000);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "model.safetensors.index.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "model.safetensors"));
  EXPECT_EQ(SafetensorsModel::open(dir / "out").names(), SafetensorsModel::open(base).names());
}

// config_changes is merged into config.json; the rest of it stays.
TEST(ModelFolderWriter, MergesConfigChanges) {
  TempDir dir;
  const std::filesystem::path base = hf_model_fixture("qwen2");
  write_model_folder(base, folder_tensors(base), dir / "out", {{"tie_word_embeddings", false}});
  nlohmann::json want = read_json_file(base / "config.json");
  want["tie_word_embeddings"] = false;
  EXPECT_EQ(read_json_file(dir / "out" / "config.json"), want);
}

// Weights come back in the dtypes the base stores under their names; others keep theirs.
TEST(ModelFolderWriter, ConvertsToTheBaseDtypes) {
  const std::filesystem::path base = hf_model_fixture("llama_bf16");
  NamedTensors weights;
  for (const auto& [name, weight] : folder_tensors(base)) {
    weights.emplace_back(name, weight.to(DType::f32));
  }
  weights.emplace_back("not.in.base", Tensor::zeros({2}, DType::f32));
  const SafetensorsModel stored = SafetensorsModel::open(base);
  for (const auto& [name, weight] : in_base_dtypes(base, weights)) {
    EXPECT_EQ(weight.dtype(), stored.has(name) ? stored.info(name).dtype : DType::f32) << name;
  }
}

}  // namespace
}  // namespace retune
