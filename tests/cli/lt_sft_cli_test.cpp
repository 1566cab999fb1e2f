// `retune train` with method lt_sft: a dense phase, a mask of exactly K entries, a sparse phase
// that moves only those entries, a sparse difference that `retune export` adds back to the base
// to give the sparse phase's model; on the CPU and on a GPU.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/device.h"
#include "io/safetensors_file.h"
#include "support/files.h"
#include "support/folder_weights.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

// The run on `device` (cpu or cuda).
void expect_the_k_entries_that_moved_most_train(const std::string& device) {
  TempDir dir;
  const std::string model = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun train =
      run_retune("train " + std::string(RETUNE_FIXTURES_DIR) +
                     "/../../examples/lora-chat.yaml --set model=" + model +
                     " --set output=" + (dir / "run").string() +
                     " --set method=lt_sft --set sparse.count=300 --set sparse.dense_steps=2"
                     " --set training.steps=2 --set threads=1 --set training.lr=1e-2 --device " +
                     device,
                 true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("lt_sft: the 300 entries that moved most are kept"), std::string::npos)
      << train.out;
  // Exactly K entries in the mask.
  const SafetensorsFile mask = SafetensorsFile::open(dir / "run/mask.safetensors");
  std::map<std::string, std::set<int64_t>> masked;
  int64_t entries = 0;
  for (const std::string& name : mask.names()) {
    const Tensor indices = mask.tensor(name);
    masked[name].insert(indices.data<int64_t>(), indices.data<int64_t>() + indices.numel());
    entries += indices.numel();
  }
  EXPECT_EQ(entries, 300);
  // The sparse phase's model differs from the base at masked entries only.
  const auto base = folder_weights(model);
  const auto sparse = folder_weights(dir / "run/sparse/model");
  int64_t changed = 0;
  for (const auto& [name, values] : base) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] == sparse.at(name)[i]) continue;
      ++changed;
      EXPECT_TRUE(masked[name].contains(static_cast<int64_t>(i))) << name << " " << i;
    }
  }
  EXPECT_GT(changed, 250);
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  EXPECT_EQ(summary["method"], "lt_sft");
  EXPECT_EQ(summary["entries"], 300);
  EXPECT_EQ(summary["sparse"]["trainable_parameters"], 300);
  // Exported, the difference gives the sparse phase's model.
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " +
                 (dir / "run/sparse/sparse_diff").string() + " --out " + (dir / "m").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_EQ(folder_weights(dir / "m"), sparse);
}

TEST(LtSftCli, TrainsTheKEntriesThatMovedMost) {
  expect_the_k_entries_that_moved_most_train("cpu");
}

// Both phases on a GPU: the sparse phase keeps its weights on the mask there (ops/entries.h).
TEST(LtSftCli, GpuTrainsTheKEntriesThatMovedMost) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  expect_the_k_entries_that_moved_most_train("cuda");
}

}  // namespace
}  // namespace retune
