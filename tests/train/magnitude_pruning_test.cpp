// One-shot global magnitude pruning (essential sparsity): the kept share, one threshold across
// the layers' linear weights, the rest left whole, the bad sparsities; and from the CLI, the
// pruned entries staying zero through fine-tuning with the mask fixed.
#include "train/magnitude_pruning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/folder_weights.h"
#include "support/model_parity.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "train/sparse_update.h"

namespace retune::train {
namespace {

TEST(MagnitudePruning, KeepsTheLargestEntriesUnderOneThreshold) {
  const NamedTensors weights = folder_tensors(hf_model_fixture("llama_gqa_untied"));
  const PrunedWeights pruned = prune_by_magnitude(weights, 0.7);
  EXPECT_EQ(pruned.kept, std::llround(0.3 * static_cast<double>(pruned.maskable)));
  ASSERT_EQ(pruned.weights.size(), weights.size());
  float smallest_kept = INFINITY;
  float largest_pruned = 0;
  int64_t kept = 0;
  for (size_t w = 0; w < weights.size(); ++w) {
    const auto& [name, weight] = weights[w];
    ASSERT_EQ(pruned.weights[w].first, name);
    const std::vector<float> before = weight.to_f32_vector();
    const std::vector<float> after = pruned.weights[w].second.to_f32_vector();
    if (!sparse_maskable(name)) {
      EXPECT_EQ(after, before) << name;
      continue;
    }
    for (size_t i = 0; i < before.size(); ++i) {
      if (after[i] == 0 && before[i] != 0) {
        largest_pruned = std::max(largest_pruned, std::abs(before[i]));
      } else {
        EXPECT_EQ(after[i], before[i]) << name << " " << i;
        smallest_kept = std::min(smallest_kept, std::abs(before[i]));
        ++kept;
      }
    }
  }
  EXPECT_EQ(kept, pruned.kept);
  EXPECT_LE(largest_pruned, smallest_kept);
  int64_t masked = 0;
  for (const auto& [name, indices] : pruned.mask) masked += indices.numel();
  EXPECT_EQ(masked, pruned.kept);

  const PrunedWeights none = prune_by_magnitude(weights, 0);
  EXPECT_EQ(none.kept, none.maskable);
  EXPECT_EQ(error_of([&] { prune_by_magnitude(weights, 1); }), "sparsity must be in [0, 1), got 1");
  EXPECT_EQ(error_of([&] { prune_by_magnitude(weights, -0.1); }),
            "sparsity must be in [0, 1), got -0.1");
}

TEST(MagnitudePruning, PrunedEntriesStayZeroThroughMaskedFineTuning) {
  TempDir dir;
  const std::string model = hf_model_fixture("llama_gqa_untied").string();
  const RetuneRun prune =
      run_retune("prune --model " + model + " --sparsity 0.5 --out " + (dir / "pruned").string() +
                     " --mask " + (dir / "mask.safetensors").string(),
                 true);
  ASSERT_EQ(prune.exit_code, 0) << prune.out;
  EXPECT_NE(prune.out.find("(50.0% pruned)"), std::string::npos) << prune.out;
  const RetuneRun train =
      run_retune("train " + std::string(RETUNE_FIXTURES_DIR) +
                     "/../../examples/lora-chat.yaml --set model=" + (dir / "pruned").string() +
                     " --set output=" + (dir / "run").string() +
                     " --set method=full --set sparse.mask=" + (dir / "mask.safetensors").string() +
                     " --set training.steps=2 --set threads=1 --set training.lr=1e-2",
                 true);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const auto pruned = folder_weights(dir / "pruned");
  const auto tuned = folder_weights(dir / "run/model");
  int64_t zeros = 0;
  int64_t moved = 0;
  for (const auto& [name, values] : pruned) {
    if (!sparse_maskable(name)) continue;
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] == 0) {
        ++zeros;
        EXPECT_EQ(tuned.at(name)[i], 0.0F) << name << " " << i;
      } else if (tuned.at(name)[i] != values[i]) {
        ++moved;
      }
    }
  }
  EXPECT_GT(zeros, 0);
  EXPECT_GT(moved, 0);

  const RetuneRun inside =
      run_retune("prune --model " + model + " --sparsity 0.5 --out " + (dir / "pruned").string() +
                     " --mask " + (dir / "pruned/mask.safetensors").string(),
                 true);
  EXPECT_EQ(inside.exit_code, 1);
  EXPECT_EQ(inside.out, "retune: error: --mask " + (dir / "pruned/mask.safetensors").string() +
                            ": put the mask outside the model folder --out " +
                            (dir / "pruned").string() + " writes\n");
}

}  // namespace
}  // namespace retune::train
