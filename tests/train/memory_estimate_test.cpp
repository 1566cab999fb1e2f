// The memory estimate's parts for fixture configs worked out by hand from the formula in
// train/memory_estimate.h, the check's refusal and its messages, and a run that notes the
// estimate or is refused before writing anything.
#include "train/memory_estimate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/files.h"
#include "support/model_parity.h"
#include "support/temp_dir.h"
#include "train/training_run.h"

namespace retune::train {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

// qwen2: C 64, F 128, 2 layers, Hq 4, Hkv 2, D 16, V 320. B 4, T 32: N 128.
TEST(MemoryEstimate, PartsOfALlamaFamilyModelByHand) {
  const model::ModelConfig config = model::load_model_config(hf_model_fixture("qwen2"));
  const MemoryEstimate estimate = estimate_training_memory(config, 1000, 500, {}, 4, 32);
  EXPECT_EQ(estimate.weights, 1000);
  EXPECT_EQ(estimate.trainable_state, 500 * 16);  // value, gradient, AdamW m and v
  const int64_t kept = 4 * 64 + 3 * 128 + 2 * 64 + 2 * 32 + 4 + 2;  // 838
  const int64_t stream = 4 * 64 + 2;                                // 258
  const int64_t backward = 3 * 128 + 3 * 64 + 2 * 64 + 2 * 32;      // 768 per token
  const int64_t head = 128 * (2 * 64 + 3) + 128 * 320 + 320 * 64;   // 78208 < 128 * 768
  EXPECT_LT(head, 128 * backward);
  EXPECT_EQ(estimate.activations, 4 * (128 * 2 * kept + 128 * stream + 128 * backward));
  EXPECT_EQ(estimate.total, 1000 + 500 * 16 + estimate.activations);
}

// gpt2: C 64, F 128, 2 layers, H 4, V 320. B 2, T 16: N 32, where the head's scratch is the
// larger temporary.
TEST(MemoryEstimate, PartsOfAGpt2ModelWithSgdByHand) {
  const model::ModelConfig config = model::load_model_config(hf_model_fixture("gpt2"));
  const MemoryEstimate plain =
      estimate_training_memory(config, 0, 100, {.kind = OptimizerKind::sgd}, 2, 16);
  EXPECT_EQ(plain.trainable_state, 100 * 8);                     // value and gradient only
  const int64_t kept = 8 * 64 + 2 * 128 + 4 + 4;                 // 776
  const int64_t backward = 2 * 128 + 10 * 64;                    // 896 per token
  const int64_t head = 32 * (2 * 64 + 3) + 32 * 320 + 320 * 64;  // 34912
  EXPECT_GT(head, 32 * backward);
  EXPECT_EQ(plain.activations, 4 * (32 * 2 * kept + 32 * (4 * 64 + 2) + head));
  const MemoryEstimate momentum = estimate_training_memory(
      config, 0, 100, {.kind = OptimizerKind::sgd, .momentum = 0.9}, 2, 16);
  EXPECT_EQ(momentum.trainable_state, 100 * 12);  // and the momentum buffer
}

// qwen3 (q/k norms) with a vocabulary of 2^22: the logits scratch holds 2^23 / 2^22 = 2 rows.
// B 1, T 8: N 8.
TEST(MemoryEstimate, QkNormsAndALargeVocabularyByHand) {
  model::ModelConfig config = model::load_model_config(hf_model_fixture("qwen3"));
  config.vocab_size = int64_t{1} << 22;
  const MemoryEstimate estimate = estimate_training_memory(config, 0, 0, {}, 1, 8);
  const int64_t kept = 838 + 64 + 32 + 4 + 2;  // 940
  const int64_t head = 8 * (2 * 64 + 3) + 2 * (int64_t{1} << 22) + 4096 * 64;
  EXPECT_EQ(estimate.activations, 4 * (8 * 2 * kept + 8 * (4 * 64 + 2) + head));
}

TEST(MemoryEstimate, CheckRefusesWhatDoesNotFitUnlessForced) {
  const MemoryEstimate estimate{.weights = 1'000'000'000,
                                .trainable_state = 300'000'000,
                                .activations = 11'000'000'000,
                                .total = 12'300'000'000};
  EXPECT_EQ(check_memory(estimate, 16'000'000'000, false),
            "memory: an estimated 12.3 GB (weights 1.0 GB, trainable state 300.0 MB, activations "
            "11.0 GB) of 16.0 GB available");
  EXPECT_EQ(error_of([&] { check_memory(estimate, 8'000'000'000, false); }),
            "training needs an estimated 12.3 GB (weights 1.0 GB, trainable state 300.0 MB, "
            "activations 11.0 GB) but the machine has 8.0 GB available; lower "
            "training.batch_size or data.seq_len, or set force: true");
  EXPECT_EQ(check_memory(estimate, 8'000'000'000, true),
            "memory: an estimated 12.3 GB (weights 1.0 GB, trainable state 300.0 MB, activations "
            "11.0 GB) exceeds the 8.0 GB available; starting anyway (force: true)");
  EXPECT_THAT(check_memory(estimate, estimate.total, false), StartsWith("memory: an estimated"));
}

TEST(MemoryEstimate, AvailableMemoryIsPositive) {
  EXPECT_GT(available_memory_bytes(), 0);
}

TEST(MemoryEstimate, ARunNotesItsEstimateOrIsRefusedBeforeWritingAnything) {
  TempDir dir;
  write_file(dir / "data.jsonl", "{\"prompt\": \"Say apple:\", \"completion\": \" apple\"}\n");
  TrainConfig config;
  config.model = hf_model_fixture("qwen2");
  config.output = dir / "out";
  config.data.train = {dir / "data.jsonl"};
  config.data.seq_len = 16;
  config.training.steps = 1;
  std::vector<std::string> notes;
  run_training(config, false, {.note = [&](const std::string& line) { notes.push_back(line); }});
  EXPECT_THAT(notes, testing::Contains(StartsWith("memory: an estimated ")));

  config.output = dir / "refused";
  config.training.batch_size = 100'000'000;  // terabytes of activations
  EXPECT_THAT(
      error_of([&] { run_training(config, false, {}); }),
      HasSubstr("available; lower training.batch_size or data.seq_len, or set force: true"));
  EXPECT_FALSE(std::filesystem::exists(dir / "refused"));
}

}  // namespace
}  // namespace retune::train
