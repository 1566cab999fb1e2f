// `retune train` with method lt_sft: a dense phase, a mask of exactly K entries, a sparse phase
// that moves only those entries, a sparse difference that `retune export` adds back to the base
// to give the sparse phase's model; on the CPU and on a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
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

// The first logged step in a phase's run folder (after any evaluation lines): its loss,
// grad_norm, ...
nlohmann::json first_step(const std::filesystem::path& phase) {
  std::istringstream metrics(read_file(phase / "metrics.jsonl"));
  for (std::string line; std::getline(metrics, line);) {
    nlohmann::json parsed = nlohmann::json::parse(line);
    if (parsed.contains("loss")) return parsed;
  }
  return nlohmann::json::object();
}

// A mask file's entries: weight name -> flat indices.
using Mask = std::map<std::string, std::set<int64_t>>;
Mask read_mask_file(const std::filesystem::path& file) {
  const SafetensorsFile mask = SafetensorsFile::open(file);
  Mask masked;
  for (const std::string& name : mask.names()) {
    const Tensor indices = mask.tensor(name);
    masked[name].insert(indices.data<int64_t>(), indices.data<int64_t>() + indices.numel());
  }
  return masked;
}

// The entries where the model folder `tuned` differs from `base`, each expected on the mask.
int64_t changes_on_the_mask(const Mask& masked, const std::filesystem::path& base_folder,
                            const std::filesystem::path& tuned_folder) {
  const auto base = folder_weights(base_folder);
  const auto tuned = folder_weights(tuned_folder);
  int64_t changed = 0;
  for (const auto& [name, values] : base) {
    const auto found = masked.find(name);
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] == tuned.at(name)[i]) continue;
      ++changed;
      EXPECT_TRUE(found != masked.end() && found->second.contains(static_cast<int64_t>(i)))
          << name << " " << i;
    }
  }
  return changed;
}

// The run on `device` (cpu or cuda), with more settings, in dir / "run".
void expect_the_k_entries_that_moved_most_train(const TempDir& dir, const std::string& device,
                                                const std::string& settings = "") {
  const std::string model = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun train =
      run_retune("train " + std::string(RETUNE_FIXTURES_DIR) +
                     "/../../examples/lora-chat.yaml --set model=" + model +
                     " --set output=" + (dir / "run").string() +
                     " --set method=lt_sft --set sparse.count=300 --set sparse.dense_steps=2"
                     " --set training.steps=2 --set threads=1 --set training.lr=1e-2 --device " +
                     device + settings,
                 true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("lt_sft: the 300 entries that moved most are kept"), std::string::npos)
      << train.out;
  // Exactly K entries in the mask.
  const Mask masked = read_mask_file(dir / "run/mask.safetensors");
  int64_t entries = 0;
  for (const auto& [name, indices] : masked) entries += static_cast<int64_t>(indices.size());
  EXPECT_EQ(entries, 300);
  // The sparse phase's model differs from the base at masked entries only.
  EXPECT_GT(changes_on_the_mask(masked, model, dir / "run/sparse/model"), 250);
  const auto base = folder_weights(model);
  const auto sparse = folder_weights(dir / "run/sparse/model");
  const nlohmann::json summary = nlohmann::json::parse(read_file(dir / "run/summary.json"));
  EXPECT_EQ(summary["method"], "lt_sft");
  EXPECT_EQ(summary["entries"], 300);
  EXPECT_EQ(summary["sparse"]["trainable_parameters"], 300);
  // Both phases' first steps start from the base on the same rows; the sparse one's gradient
  // keeps only the mask's entries before it is clipped (LT-SFT multiplies it by the mask), so
  // its norm is that of 300 of the dense gradient's entries.
  const nlohmann::json dense_first = first_step(dir / "run/dense");
  const nlohmann::json sparse_first = first_step(dir / "run/sparse");
  EXPECT_NEAR(sparse_first.value("loss", 0.0), dense_first.value("loss", -1.0), 1e-6);
  EXPECT_LT(sparse_first.value("grad_norm", 1.0), 0.9 * dense_first.value("grad_norm", 0.0));
  EXPECT_GT(sparse_first.value("grad_norm", 0.0), 0.0);
  // Exported, the difference gives the sparse phase's model: θ0 + (θ - θ0) in f32 rounds to θ
  // within an ulp of the larger of θ and θ0.
  const RetuneRun exported =
      run_retune("export --model " + model + " --adapter " +
                 (dir / "run/sparse/sparse_diff").string() + " --out " + (dir / "m").string());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const auto merged = folder_weights(dir / "m");
  ASSERT_EQ(merged.size(), sparse.size());
  for (const auto& [name, values] : sparse) {
    const std::vector<float>& got = merged.at(name);
    ASSERT_EQ(got.size(), values.size()) << name;
    for (size_t i = 0; i < values.size(); ++i) {
      const float ulp = 1.2e-7f * std::max(std::fabs(values[i]), std::fabs(base.at(name)[i]));
      ASSERT_NEAR(got[i], values[i], ulp) << name << " " << i;
    }
  }
}

TEST(LtSftCli, TrainsTheKEntriesThatMovedMost) {
  expect_the_k_entries_that_moved_most_train(TempDir(), "cpu");
}

// Full fine-tuning on a mask (LT-SFT's, given as sparse.mask): only the weights the mask names
// train (their checkpoint holds them alone, not the embeddings, norms or head, which would stay
// whole), and the model moves on the mask's entries only.
TEST(LtSftCli, FullFineTuningOnAMaskTrainsOnlyItsWeights) {
  const TempDir dir;
  expect_the_k_entries_that_moved_most_train(dir, "cpu");
  const std::string model = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun train = run_retune(
      "train " + std::string(RETUNE_FIXTURES_DIR) + "/../../examples/lora-chat.yaml --set model=" +
          model + " --set output=" + (dir / "full").string() +
          " --set method=full --set sparse.mask=" + (dir / "run/mask.safetensors").string() +
          " --set training.steps=2 --set threads=1 --set training.lr=1e-2",
      true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const Mask masked = read_mask_file(dir / "run/mask.safetensors");
  const SafetensorsFile trained =
      SafetensorsFile::open(dir / "full/checkpoint-2/trainable.safetensors");
  std::set<std::string> names(trained.names().begin(), trained.names().end());
  std::set<std::string> mask_names;
  for (const auto& [name, indices] : masked) mask_names.insert(name);
  EXPECT_EQ(names, mask_names);
  EXPECT_GT(changes_on_the_mask(masked, model, dir / "full/model"), 250);
}

// An FPF phase after each step fine-tunes the last layer's linears whole: the step's projection
// comes after it, so the model still moves on the mask only.
TEST(LtSftCli, FpfPhasesStayOnTheMask) {
  expect_the_k_entries_that_moved_most_train(
      TempDir(), "cpu",
      " --set forgetting.fpf_every=1 --set forgetting.fpf_steps=1 --set data.retain=[" +
          std::string(RETUNE_FIXTURES_DIR) + "/../../examples/data/text.txt]");
}

// Both phases on a GPU: the sparse phase keeps its weights on the mask there (ops/entries.h),
// and each phase's first step (from the base, whatever the mask) has the CPU's loss within bf16
// tolerance.
TEST(LtSftCli, GpuTrainsTheKEntriesThatMovedMost) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here: this runs on the device machine";
  const TempDir cpu, gpu;
  expect_the_k_entries_that_moved_most_train(cpu, "cpu");
  expect_the_k_entries_that_moved_most_train(gpu, "cuda");
  for (const char* phase : {"dense", "sparse"}) {
    const double want = first_step(cpu / "run" / phase).value("loss", 0.0);
    EXPECT_GT(want, 0) << phase;
    EXPECT_NEAR(first_step(gpu / "run" / phase).value("loss", 0.0), want, 1e-2 * want) << phase;
  }
}

}  // namespace
}  // namespace retune
