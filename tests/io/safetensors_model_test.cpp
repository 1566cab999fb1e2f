#include "io/safetensors_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "io/safetensors_writer.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using testing::HasSubstr;

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::empty(shape, DType::f32);
  t.fill(value);
  return t;
}

// 16 + 40 + 8 + 32 bytes. With a 24-byte limit, huggingface_hub's split puts "big" and then
// "d" (each over the limit) in shards of their own as it meets them, while "a" and "c" fill the
// shard it closes last.
NamedTensors four_tensors() {
  return {{"a", filled({4}, 1)},
          {"big", filled({10}, 2)},
          {"c", filled({2}, 3)},
          {"d", filled({8}, 4)}};
}

TEST(SafetensorsSharded, RoundTripsLikeSavePretrained) {
  TempDir dir;
  write_sharded_safetensors(dir.path(), four_tensors(), {{"format", "pt"}}, 24);
  EXPECT_EQ(folder_listing(dir.path()),
            (std::vector<std::string>{
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"}));
  EXPECT_EQ(read_file(dir / "model.safetensors.index.json"),
            "{\n"
            "  \"metadata\": {\n"
            "    \"total_size\": 96\n"
            "  },\n"
            "  \"weight_map\": {\n"
            "    \"a\": \"model-00003-of-00003.safetensors\",\n"
            "    \"big\": \"model-00001-of-00003.safetensors\",\n"
            "    \"c\": \"model-00003-of-00003.safetensors\",\n"
            "    \"d\": \"model-00002-of-00003.safetensors\"\n"
            "  }\n"
            "}\n");
  const auto model = SafetensorsModel::open(dir.path());
  EXPECT_EQ(model.names(), (std::vector<std::string>{"a", "big", "c", "d"}));
  EXPECT_EQ(model.shards().size(), 3u);
  EXPECT_EQ(model.metadata().at("total_size"), "96");
  EXPECT_EQ(model.shards()[0].metadata().at("format"), "pt");
  EXPECT_EQ(model.shards()[0].names(), (std::vector<std::string>{"a", "c"}));  // shard 3
  for (const auto& [name, tensor] : four_tensors()) {
    EXPECT_EQ(model.tensor(name).to_f32_vector(), tensor.to_f32_vector()) << name;
    EXPECT_EQ(model.info(name).shape, tensor.shape());
  }
  EXPECT_EQ(error_of([&] { model.tensor("e"); }), dir.path().string() + ": no tensor named 'e'");
}

TEST(SafetensorsSharded, OneShardIsModelSafetensorsAndReplacesAnOldSave) {
  TempDir dir;
  write_sharded_safetensors(dir.path(), four_tensors(), {}, 24);
  write_sharded_safetensors(dir.path(), four_tensors(), {}, 1000);
  EXPECT_EQ(folder_listing(dir.path()), (std::vector<std::string>{"model.safetensors"}));
  const auto model = SafetensorsModel::open(dir.path());
  EXPECT_EQ(model.names().size(), 4u);
  EXPECT_EQ(model.tensor("d").to_f32_vector(), std::vector<float>(8, 4));
}

TEST(SafetensorsSharded, RefusesUnwritableTensorsBeforeWritingAnything) {
  TempDir dir;
  NamedTensors tensors = four_tensors();
  tensors.emplace_back("e", Tensor());
  EXPECT_EQ(error_of([&] { write_sharded_safetensors(dir.path(), tensors, {}, 24); }),
            dir.path().string() + ": tensor 'e' is undefined");
  EXPECT_TRUE(folder_listing(dir.path()).empty());
}

class SafetensorsModelIndexTest : public testing::Test {
 protected:
  void SetUp() override {
    write_sharded_safetensors(dir_.path(), four_tensors(), {}, 24);
    index_ = (dir_ / "model.safetensors.index.json").string();
  }
  std::string open_with_weight_map(const std::string& weight_map) {
    write_file(index_, R"({"metadata":{},"weight_map":)" + weight_map + "}");
    return error_of([&] { SafetensorsModel::open(dir_.path()); });
  }

  TempDir dir_;
  std::string index_;
};

TEST_F(SafetensorsModelIndexTest, RefusesAMissingShard) {
  EXPECT_EQ(open_with_weight_map(R"({"a":"model-00009-of-00009.safetensors"})"),
            index_ +
                ": weight_map entry 'a' names shard 'model-00009-of-00009.safetensors', which "
                "does not exist");
}

TEST_F(SafetensorsModelIndexTest, RefusesAShardWithoutTheTensor) {
  EXPECT_EQ(open_with_weight_map(R"({"d":"model-00003-of-00003.safetensors"})"),
            index_ +
                ": weight_map puts tensor 'd' in 'model-00003-of-00003.safetensors', which has no "
                "such tensor");
}

TEST_F(SafetensorsModelIndexTest, RefusesShardNamesOutsideTheFolder) {
  for (const char* shard : {"../model-00001-of-00003.safetensors", "sub/x.safetensors", "..",
                            "/etc/passwd", "a\\\\b"}) {
    EXPECT_THAT(open_with_weight_map(std::string(R"({"a":")") + shard + "\"}"),
                HasSubstr("which is not a plain file name inside the folder"))
        << shard;
  }
}

TEST_F(SafetensorsModelIndexTest, RefusesMalformedIndexes) {
  EXPECT_EQ(open_with_weight_map(R"({"a":1})"),
            index_ + ": weight_map entry 'a' is not a string: 1");
  write_file(index_, R"({"metadata":{}})");
  EXPECT_EQ(error_of([&] { SafetensorsModel::open(dir_.path()); }),
            index_ + ": no \"weight_map\" object");
  write_file(index_, "{");
  EXPECT_THAT(error_of([&] { SafetensorsModel::open(dir_.path()); }),
              HasSubstr(index_ + ": invalid JSON"));
}

TEST(SafetensorsModel, ShardErrorsNameTheShard) {
  TempDir dir;
  write_file(dir / "model.safetensors", "abc");
  EXPECT_EQ(error_of([&] { SafetensorsModel::open(dir.path()); }),
            (dir / "model.safetensors").string() +
                ": file of 3 bytes is too short for a safetensors header length (8 bytes)");
}

TEST(SafetensorsModel, RefusesPyTorchPickles) {
  TempDir dir;
  write_file(dir / "config.json", "{}");
  write_file(dir / "pytorch_model.bin", "pickle");
  EXPECT_EQ(error_of([&] { SafetensorsModel::open(dir.path()); }),
            (dir / "pytorch_model.bin").string() +
                ": a PyTorch pickle file; retune never unpickles PyTorch files (they can run "
                "code): convert the model to safetensors (for example with transformers' "
                "save_pretrained(..., safe_serialization=True))");
  std::filesystem::remove(dir / "pytorch_model.bin");
  write_file(dir / "adapter.pt", "pickle");
  EXPECT_THAT(error_of([&] { SafetensorsModel::open(dir.path()); }),
              HasSubstr("adapter.pt: a PyTorch pickle file"));
}

TEST(SafetensorsModel, NamesAFolderWithoutWeights) {
  TempDir dir;
  EXPECT_EQ(
      error_of([&] { SafetensorsModel::open(dir.path()); }),
      dir.path().string() + ": no model.safetensors or model.safetensors.index.json in the folder");
  EXPECT_EQ(error_of([&] { SafetensorsModel::open(dir / "missing"); }),
            (dir / "missing").string() + ": not a folder");
}

}  // namespace
}  // namespace retune
