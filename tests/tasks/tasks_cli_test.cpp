// `retune tasks` end to end: the list as a table and as JSON, generate's JSONL (read back,
// the same bytes for the same seed), and one-line errors that write no file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset_file.h"
#include "support/files.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "tasks/task_catalog.h"
#include "tasks/task_split.h"

namespace retune {
namespace {

TEST(TasksCli, ListsEveryTask) {
  const RetuneRun table = run_retune("tasks list");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("rev abcd= → dcba"), std::string::npos) << table.out;
  for (const tasks::TaskInfo& task : tasks::task_list()) {
    EXPECT_NE(table.out.find("\n" + task.name + " "), std::string::npos) << task.name;
  }
  const RetuneRun json = run_retune("tasks list --json");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const nlohmann::json list = nlohmann::json::parse(json.out);
  ASSERT_EQ(list.size(), tasks::task_list().size());
  EXPECT_EQ(list[1]["name"], "reverse");
  EXPECT_EQ(list[1]["tag"], "rev");
  EXPECT_EQ(list[1]["example"]["prompt"], "rev abcd=");
  EXPECT_EQ(list[1]["example"]["completion"], "dcba");
  EXPECT_EQ(list[1]["length"]["unit"], "letters");
  EXPECT_EQ(list[1]["length"]["default_min"], 2);
  EXPECT_EQ(list[1]["length"]["max"], 16);
}

TEST(TasksCli, GeneratesJsonlThatReadsBack) {
  TempDir dir;
  const std::string out = (dir / "add.jsonl").string();
  const std::string args = "tasks generate add --n 30 --seed 4 --split test --max-len 3 --out ";
  const RetuneRun run = run_retune(args + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "wrote 30 test examples of add to " + out + "\n");
  const std::vector<Example> examples = read_examples(out, DataFormat::prompt_completion);
  ASSERT_EQ(examples.size(), 30u);
  for (const Example& example : examples) {
    const auto& pair = std::get<PromptCompletion>(example.content);
    EXPECT_EQ(pair.prompt.rfind("add ", 0), 0u);
    EXPECT_EQ(tasks::split_of("add", pair.prompt), tasks::Split::test);
  }
  const std::string again = (dir / "again.jsonl").string();
  ASSERT_EQ(run_retune(args + again).exit_code, 0);
  EXPECT_EQ(read_file(out), read_file(again));
}

TEST(TasksCli, RefusesBadArgumentsWritingNothing) {
  TempDir dir;
  const std::string out = " --out " + (dir / "out.jsonl").string();
  const auto error = [](const std::string& args) {
    const RetuneRun run = run_retune(args, true);
    EXPECT_EQ(run.exit_code, 1) << args;
    return run.out;
  };
  EXPECT_EQ(error("tasks generate rot13 --n 5 --seed 1" + out),
            "retune: error: unknown task \"rot13\" (expected one of copy, reverse, sort, count, "
            "parity, maximum, lookup, brackets, add, subtract, multiply)\n");
  EXPECT_EQ(error("tasks generate copy --n 0 --seed 1" + out),
            "retune: error: task copy: the number of examples must be at least 1, got 0\n");
  EXPECT_EQ(error("tasks generate copy --n 5 --seed 1 --min-len 4 --max-len 3" + out),
            "retune: error: task copy: min length 4 is greater than max length 3 (defaults "
            "2..6)\n");
  EXPECT_EQ(error("tasks generate multiply --n 5 --seed 1 --max-len 12" + out),
            "retune: error: task multiply: length 12 is outside 1..9 (digits per operand)\n");
  EXPECT_EQ(error("tasks generate copy --n 5 --seed 1 --split dev" + out),
            "retune: error: unknown split \"dev\" (expected train or test)\n");
  EXPECT_TRUE(folder_listing(dir.path()).empty());
}

}  // namespace
}  // namespace retune
