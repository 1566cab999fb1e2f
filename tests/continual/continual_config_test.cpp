// The continual group of a training config: tasks with paths relative to the file, the
// strategy and its settings, the training keys beside it, and the refusals with their places.
#include "continual/continual_config.h"

#include <gtest/gtest.h>

#include <string>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::continual {
namespace {

namespace fs = std::filesystem;

class ContinualConfigTest : public testing::Test {
 protected:
  ContinualConfig load(const std::string& continual_group) {
    write_file(file_,
               "model: m\noutput: o\nmethod: full\ntraining: {steps: 5}\n" + continual_group);
    return load_continual_config(file_, {});
  }
  std::string error(const std::string& continual_group) {
    return error_of([&] { load(continual_group); });
  }

  TempDir dir_;
  fs::path file_ = dir_ / "continual.yaml";
};

TEST_F(ContinualConfigTest, ReadsTasksAndStrategy) {
  const ContinualConfig c = load(
      "continual:\n"
      "  tasks:\n"
      "    - {name: first, train: a/train.jsonl, test: a/test.jsonl}\n"
      "    - {train: b-train.jsonl, test: b-test.jsonl}\n"
      "  strategy: replay\n"
      "  buffer_size: 32\n"
      "  replay_fraction: 0.5\n"
      "  eval_every: 4\n");
  ASSERT_EQ(c.tasks.size(), 2u);
  EXPECT_EQ(c.tasks[0].name, "first");
  EXPECT_EQ(c.tasks[0].train, dir_ / "a/train.jsonl");
  EXPECT_EQ(c.tasks[1].name, "b-train");  // the train file's stem
  EXPECT_EQ(c.tasks[1].test, dir_ / "b-test.jsonl");
  EXPECT_EQ(c.strategy, Strategy::replay);
  EXPECT_EQ(c.buffer_size, 32);
  EXPECT_EQ(c.replay_fraction, 0.5);
  EXPECT_EQ(c.eval_every, 4);
  EXPECT_EQ(c.train.method, train::TrainMethod::full);
  EXPECT_EQ(c.train.training.steps, 5);
  EXPECT_EQ(c.train.model, dir_ / "m");
}

TEST_F(ContinualConfigTest, RefusesBadGroupsWithTheirPlace) {
  const std::string f = file_.string();
  const std::string task = "  tasks: [{train: a.jsonl, test: b.jsonl}]\n";
  EXPECT_EQ(error(""), f + ": missing required group \"continual\" (a map)");
  EXPECT_EQ(error("continual:\n  strategy: sequential\n"),
            f + ": missing required key \"continual.tasks\"");
  EXPECT_EQ(error("continual:\n  tasks: []\n"),
            f + ":6: continual.tasks must be a list of tasks, got a list of 0");
  EXPECT_EQ(error("continual:\n  tasks: [{train: a.jsonl}]\n"),
            f + ":6: continual.tasks[0] has no test file");
  EXPECT_EQ(error("continual:\n" + task + "  strategy: ewc\n"),
            f + ":7: continual.strategy must be one of sequential, replay, kfpf, "
                "adapter_per_task, got \"ewc\"");
  EXPECT_EQ(error("continual:\n" + task + "  strategy: kfpf\n"),
            f + ": continual.strategy kfpf and forgetting.fpf_every > 0 go together");
  EXPECT_EQ(error("forgetting: {ewc: 10}\ncontinual:\n" + task),
            f + ": forgetting.ewc needs forgetting.ewc_data or data.retain files to estimate the "
                "Fisher on");
  EXPECT_EQ(error("forgetting: {replay: 0.5, replay_data: [r.jsonl]}\ncontinual:\n" + task),
            f + ": forgetting.replay and the fpf files come from continual.strategy (replay, "
                "kfpf) and its reservoir");
  EXPECT_EQ(error("continual:\n" + task + "  replay_fraction: 1\n"),
            f + ":7: continual.replay_fraction must be a number in (0, 1), got \"1\"");
  EXPECT_EQ(error("continual:\n" + task + "  buffer: 3\n"),
            f + ":7: unknown key \"continual.buffer\"; the keys are buffer_size, eval_every, "
                "merge, replay_fraction, strategy, tasks");
  EXPECT_EQ(error("continual:\n" + task + "  strategy: adapter_per_task\n"),
            f + ": continual.strategy adapter_per_task needs method lora or ia3");
  EXPECT_EQ(error("data: {train: x.jsonl}\ncontinual:\n" + task),
            f + ": data.train, data.eval and data.retain come from continual.tasks; the config "
                "must not set them");
  EXPECT_EQ(error("continual:\n  tasks:\n    - {train: a.jsonl, test: b.jsonl}\n"
                  "    - {train: a.jsonl, test: c.jsonl}\n"),
            f + ":8: task name \"a\" is used twice");
  // A task's name names its run folder, which must stay inside the output folder.
  for (const std::string name : {"../escape", "a/b", "..", "."}) {
    EXPECT_EQ(error("continual:\n  tasks:\n    - {name: \"" + name +
                    "\", train: a.jsonl, test: b.jsonl}\n"),
              f +
                  ":7: continual.tasks[0].name must be a name without '/' or '\\', not \".\" or "
                  "\"..\", got \"" +
                  name + "\"");
  }
}

TEST(ContinualConfig, ExampleConfigParses) {
  const fs::path examples = fs::path(RETUNE_FIXTURES_DIR) / "../../examples";
  const ContinualConfig c = load_continual_config(examples / "continual.yaml", {});
  ASSERT_EQ(c.tasks.size(), 4u);
  for (const ContinualTask& task : c.tasks) {
    EXPECT_TRUE(fs::is_regular_file(task.train)) << task.train;
    EXPECT_TRUE(fs::is_regular_file(task.test)) << task.test;
  }
  EXPECT_EQ(c.train.method, train::TrainMethod::lora);
  EXPECT_TRUE(fs::is_regular_file(c.train.model / "config.json"));
}

}  // namespace
}  // namespace retune::continual
