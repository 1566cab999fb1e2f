// `retune continual` and `retune demo` end to end: the continual command prints the matrix and
// metrics from a YAML config and writes continual.json; the demo (shortened: a few steps
// everywhere) prints its table and writes demo.json and a report with its plots; bad configs
// exit 1 with one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "continual/continual_fixture.h"
#include "io/file_contents.h"
#include "report/svg_checks.h"
#include "support/files.h"
#include "support/run_retune.h"

namespace retune::continual {
namespace {

using testing::HasSubstr;

TEST(ContinualCli, TrainsTheTasksAndPrintsTheMatrix) {
  TempDir dir;
  tiny_continual_config(dir);  // writes the tasks and the base
  write_file(dir / "continual.yaml",
             "model: base\noutput: out\nmethod: full\n"
             "data: {seq_len: 32}\n"
             "training: {batch_size: 16, steps: 8, lr: 1.0e-2}\n"
             "continual:\n"
             "  tasks:\n"
             "    - {name: copy, train: copy-train.jsonl, test: copy-test.jsonl}\n"
             "    - {name: reverse, train: reverse-train.jsonl, test: reverse-test.jsonl}\n"
             "  eval_every: 4\n");
  const RetuneRun run = run_retune("continual " + (dir / "continual.yaml").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("after copy"));
  EXPECT_THAT(run.out, HasSubstr("after reverse"));
  EXPECT_THAT(run.out, HasSubstr("average accuracy"));
  EXPECT_THAT(run.out, HasSubstr("backward transfer"));
  const nlohmann::json saved = read_json_file(dir / "out" / "continual.json");
  EXPECT_EQ(saved["matrix"].size(), 2u);
  EXPECT_EQ(saved["curves"][1]["points"].size(), 3u);  // steps 8, 12, 16

  write_file(dir / "bad.yaml", "model: base\noutput: out2\ncontinual:\n  tasks: 3\n");
  const RetuneRun bad = run_retune("continual " + (dir / "bad.yaml").string(), true);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "retune: error: " + (dir / "bad.yaml").string() +
                         ":4: continual.tasks must be a list of tasks, got \"3\"\n");
}

TEST(DemoCli, PrintsTheTableAndWritesTheReport) {
  TempDir dir;
  const std::string args =
      "demo --out " + (dir / "demo").string() + " --cache " + (dir / "cache").string() +
      " --pretrain-steps 10 --steps 4 --continual-steps 2 --test-examples 5 --threads 1";
  const RetuneRun run = run_retune(args);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  for (const char* method : {"full", "full+wise-ft", "lora", "lora+replay", "lora+distill",
                             "full+l2sp", "full+ewc", "full+kfpf"}) {
    EXPECT_THAT(run.out, HasSubstr(std::string("\n") + method + " ")) << method;
  }
  const nlohmann::json demo = read_json_file(dir / "demo" / "demo.json");
  EXPECT_EQ(demo["methods"].size(), 8u);
  EXPECT_EQ(demo["continual"], "continual");
  const std::string report = read_text_file(dir / "demo" / "report.html");
  EXPECT_GE(count_of(report, "<svg"), 4u);
  // The base is cached for the next run.
  EXPECT_TRUE(std::filesystem::exists(dir / "cache" / "demo-base-v2-10" / "complete"));
}

}  // namespace
}  // namespace retune::continual
