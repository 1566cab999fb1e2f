// The streamed output: shards split at --max-shard-size with an index that transformers reads,
// the same values as one file, the donor's files copied, config.json's depth and dtype set,
// atomic replacement of an existing folder, and shard sizes parsed as mergekit reads them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "io/file_contents.h"
#include "io/safetensors_file.h"
#include "merge/shard_writer.h"
#include "merge_test_models.h"
#include "support/temp_dir.h"

namespace retune::merge {
namespace {

namespace fs = std::filesystem;

TEST(MergeStreaming, ShardsMatchOneFile) {
  TempDir dir;
  const MergeConfig config = read_merge_config(merge_fixture_config("ties"));
  run_merge(config, dir / "one", {});
  MergeOptions options;
  options.max_shard_bytes = 100'000;
  run_merge(config, dir / "many", options);
  EXPECT_TRUE(fs::exists(dir / "one" / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / "many" / "model.safetensors"));
  const nlohmann::json index = read_json_file(dir / "many" / "model.safetensors.index.json");
  std::set<std::string> files;
  for (const auto& [name, file] : index["weight_map"].items())
    files.insert(file.get<std::string>());
  EXPECT_GT(files.size(), 3u);
  for (const std::string& file : files) {
    EXPECT_EQ(SafetensorsFile::open(dir / "many" / file).metadata().at("format"), "pt");
    // Each shard holds at most 100 kB of data, unless it holds one tensor alone.
    const SafetensorsFile shard = SafetensorsFile::open(dir / "many" / file);
    uint64_t bytes = 0;
    for (const std::string& name : shard.names())
      bytes += shard.info(name).end - shard.info(name).begin;
    EXPECT_TRUE(bytes <= 100'000 || shard.names().size() == 1) << file;
  }
  const SafetensorsModel one = SafetensorsModel::open(dir / "one");
  const SafetensorsModel many = SafetensorsModel::open(dir / "many");
  ASSERT_EQ(one.names(), many.names());
  uint64_t total = 0;
  for (const std::string& name : one.names()) {
    EXPECT_EQ(one.tensor(name).to_f32_vector(), many.tensor(name).to_f32_vector()) << name;
    total += one.tensor(name).nbytes();
  }
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), total);
}

TEST(MergeStreaming, CopiesTheDonorsFilesAndSetsDepthAndDtype) {
  TempDir dir;
  run_merge(read_merge_config(merge_fixture_config("passthrough_slices")), dir / "out", {});
  for (const char* file : {"tokenizer.json", "tokenizer_config.json", "generation_config.json",
                           "mergekit_config.yml", "config.json", "model.safetensors"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  }
  const nlohmann::json config = read_json_file(dir / "out" / "config.json");
  EXPECT_EQ(config["num_hidden_layers"], 3);
  EXPECT_EQ(config["dtype"], "float32");
  EXPECT_EQ(read_text_file(dir / "out" / "tokenizer.json"),
            read_text_file(merge_variant("a") / "tokenizer.json"));

  run_merge(read_merge_config(merge_fixture_config("task_arithmetic")), dir / "bf16", {});
  EXPECT_EQ(read_json_file(dir / "bf16" / "config.json")["dtype"], "bfloat16");
  EXPECT_EQ(SafetensorsModel::open(dir / "bf16").info("model.norm.weight").dtype, DType::bf16);
}

TEST(MergeStreaming, ReplacesAnExistingFolderWhole) {
  TempDir dir;
  fs::create_directories(dir / "out");
  write_file(dir / "out" / "stale.txt", "old");
  run_merge(read_merge_config(merge_fixture_config("linear")), dir / "out", {});
  EXPECT_FALSE(fs::exists(dir / "out" / "stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "out" / "model.safetensors"));
}

TEST(MergeStreaming, ParsesShardSizes) {
  EXPECT_EQ(parse_shard_size("5B"), 5'000'000'000u);
  EXPECT_EQ(parse_shard_size("5GB"), 5'000'000'000u);
  EXPECT_EQ(parse_shard_size("500M"), 500'000'000u);
  EXPECT_EQ(parse_shard_size("2k"), 2000u);
  EXPECT_EQ(parse_shard_size("1234"), 1234u);
  EXPECT_THROW(parse_shard_size("5 GB"), Error);
  EXPECT_THROW(parse_shard_size("0"), Error);
  EXPECT_THROW(parse_shard_size("-1"), Error);
}

}  // namespace
}  // namespace retune::merge
