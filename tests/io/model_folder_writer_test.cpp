#include "io/model_folder_writer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace retune
