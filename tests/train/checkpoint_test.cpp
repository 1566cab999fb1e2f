#include "train/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/random_tensor.h"
#include "support/ended_pid.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::train {
namespace {

using testing::HasSubstr;

Checkpoint example(int64_t step) {
  Checkpoint checkpoint;
  checkpoint.step = step;
  checkpoint.data = {.epoch = 2, .next_row = 7};
  checkpoint.trainable = {{"base_model.model.x.lora_A.weight", uniform_tensor({2, 3}, 1)}};
  checkpoint.optimizer = {
      .steps = step,
      .tensors = {{"base_model.model.x.lora_A.weight.exp_avg", uniform_tensor({2, 3}, 2)}}};
  checkpoint.run = {{"dropout_offsets", {1, 2}}};
  return checkpoint;
}

TEST(Checkpoint, RoundTrips) {
  TempDir dir;
  const Checkpoint written = example(5);
  const std::filesystem::path path = write_checkpoint(dir.path(), written);
  EXPECT_EQ(path, dir / "checkpoint-5");
  const Checkpoint read = read_checkpoint(path);
  EXPECT_EQ(read.step, 5);
  EXPECT_EQ(read.data, written.data);
  EXPECT_EQ(read.run, written.run);
  EXPECT_EQ(read.optimizer.steps, 5);
  ASSERT_EQ(read.trainable.size(), 1u);
  EXPECT_EQ(read.trainable[0].first, written.trainable[0].first);
  EXPECT_EQ(read.trainable[0].second.to_f32_vector(), written.trainable[0].second.to_f32_vector());
  EXPECT_EQ(read.optimizer.tensors[0].second.to_f32_vector(),
            written.optimizer.tensors[0].second.to_f32_vector());
}

// The highest step wins; leftovers of a killed write (temporary folders) and other files don't
// count.
TEST(Checkpoint, LatestIsTheHighestCompleteStep) {
  TempDir dir;
  EXPECT_EQ(latest_checkpoint(dir / "missing"), std::nullopt);
  write_checkpoint(dir.path(), example(9));
  write_checkpoint(dir.path(), example(10));
  std::filesystem::create_directories(dir / "checkpoint-12.tmp-123");
  write_file(dir / "checkpoint-13", "not a folder");
  std::filesystem::create_directories(dir / "checkpoint-x");
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "checkpoint-10");
}

// save_total_limit: the newest `keep` checkpoints stay; older ones go, and so do the leftovers of
// killed writes and removals (not a running process's, nor anything that is no checkpoint).
TEST(Checkpoint, RemovingOldOnesKeepsTheNewest) {
  TempDir dir;
  for (const int64_t step : {2, 4, 10, 6}) write_checkpoint(dir.path(), example(step));
  const std::string killed = "checkpoint-8.tmp-" + std::to_string(ended_pid());
  const std::string running = "checkpoint-12.tmp-" + std::to_string(::getppid());
  std::filesystem::create_directories(dir / killed);
  write_file(dir / killed / "trainer_state.json", "{");
  std::filesystem::create_directories(dir / running);
  write_file(dir / "metrics.jsonl", "{}\n");
  std::filesystem::create_directories(dir / "checkpoint-x");

  remove_old_checkpoints(dir.path(), 5);  // fewer than that: only the leftover goes
  EXPECT_EQ(folder_listing(dir.path()),
            (std::vector<std::string>{"checkpoint-10", running, "checkpoint-2", "checkpoint-4",
                                      "checkpoint-6", "checkpoint-x", "metrics.jsonl"}));
  remove_old_checkpoints(dir.path(), 2);
  EXPECT_EQ(folder_listing(dir.path()),
            (std::vector<std::string>{"checkpoint-10", running, "checkpoint-6", "checkpoint-x",
                                      "metrics.jsonl"}));
  EXPECT_EQ(read_checkpoint(dir / "checkpoint-6").step, 6);
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "checkpoint-10");
  EXPECT_THAT(error_of([&] { remove_old_checkpoints(dir.path(), 0); }),
              HasSubstr("keep 0, expected at least 1"));
}

TEST(Checkpoint, RefusesAnIncompleteFolder) {
  TempDir dir;
  const std::filesystem::path path = write_checkpoint(dir.path(), example(3));
  std::filesystem::remove(path / "optimizer.safetensors");
  EXPECT_THAT(error_of([&] { read_checkpoint(path); }),
              HasSubstr("optimizer.safetensors: cannot open"));
  write_file(path / "trainer_state.json", "{\"step\": 3}");
  EXPECT_THAT(error_of([&] { read_checkpoint(path); }),
              HasSubstr("trainer_state.json: not a retune trainer state"));
}

}  // namespace
}  // namespace retune::train
