// `retune compare` end to end on the qwen2 fixture: five methods of two steps each (LT-SFT: one
// dense, two sparse; IA3 another kind of PEFT adapter), one of them failing at run time (its
// training file is missing): the others are trained, scored and tabulated, the failure is reported
// with its error line, the exit code is 1, and `retune report` draws the folder. A method's bad
// override key fails before anything runs, naming both, and so does a method folder in OUT that is
// not a comparison's run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "io/file_contents.h"
#include "report/svg_checks.h"
#include "support/files.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "tasks/task_generation.h"

namespace retune::compare {
namespace {

using nlohmann::json;
using testing::HasSubstr;

void write_tiny_task(const TempDir& dir, const std::string& name) {
  tasks::write_task_jsonl(
      tasks::generate_task(name, {.n = 32, .seed = 1, .min_len = 1, .max_len = 2}),
      dir / (name + "-train.jsonl"));
  tasks::write_task_jsonl(
      tasks::generate_task(
          name, {.n = 4, .seed = 2, .split = tasks::Split::test, .min_len = 1, .max_len = 2}),
      dir / (name + "-test.jsonl"));
}

std::string config_text(const std::string& methods) {
  return std::string("model: ") + RETUNE_FIXTURES_DIR + "/hf/models/qwen2\n" +
         "output: out\n"
         "data: {train: copy-train.jsonl, seq_len: 32}\n"
         "lora: {r: 2, alpha: 4}\n"
         "training: {batch_size: 4, steps: 2, lr: 1.0e-3}\n"
         "threads: 1\n"
         "compare:\n"
         "  new_task: copy-test.jsonl\n"
         "  retain: reverse-test.jsonl\n"
         "  methods:\n" +
         methods;
}

TEST(CompareCli, TrainsScoresAndTabulatesEveryMethodPastAFailure) {
  TempDir dir;
  write_tiny_task(dir, "copy");
  write_tiny_task(dir, "reverse");
  write_file(dir / "compare.yaml",
             config_text("    - {name: lora}\n"
                         "    - {name: broken, set: {data.train: none.jsonl}}\n"
                         "    - {name: full, set: {method: full}}\n"
                         "    - {name: lt-sft, set: {method: lt_sft, sparse.count: 64, "
                         "sparse.dense_steps: 1}}\n"
                         "    - {name: ia3, set: {method: ia3}}\n"));
  const RetuneRun run = run_retune("compare " + (dir / "compare.yaml").string());
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_THAT(run.out, HasSubstr("\nbase (no training) "));
  EXPECT_THAT(run.out, HasSubstr("\nlora "));
  EXPECT_THAT(run.out, HasSubstr("\nfull "));
  EXPECT_THAT(run.out, testing::ContainsRegex("\nbroken +failed"));
  EXPECT_THAT(run.out, HasSubstr("failed: broken: none.jsonl: cannot open"));

  const json results = read_json_file(dir / "out" / "compare.json");
  EXPECT_EQ(results["config"]["file"], "compare.yaml");
  EXPECT_EQ(results["config"]["new_task"], json({"copy-test.jsonl"}));
  EXPECT_EQ(results["machine"]["threads"], 1);
  EXPECT_FALSE(results["machine"]["cpu"].get<std::string>().empty());
  EXPECT_FALSE(results["versions"]["retune"].get<std::string>().empty());
  const json& base = results["base"];
  EXPECT_TRUE(base["new_task_accuracy"].is_number());
  EXPECT_TRUE(base["retained_accuracy"].is_number());
  EXPECT_GT(base["new_task_loss"].get<double>(), 0);
  ASSERT_EQ(results["methods"].size(), 5u);
  for (const int i : {0, 2}) {
    const json& m = results["methods"][i];
    SCOPED_TRACE(m["name"].get<std::string>());
    EXPECT_EQ(m["status"], "ok");
    EXPECT_TRUE(m["error"].is_null());
    EXPECT_GT(m["trainable_parameters"].get<double>(), 0);
    EXPECT_GT(m["total_parameters"].get<double>(), 0);
    EXPECT_GT(m["peak_rss_bytes"].get<double>(), 1e6);
    EXPECT_GT(m["train_seconds"].get<double>(), 0);
    EXPECT_GE(m["wall_seconds"].get<double>(), m["train_seconds"].get<double>());
    EXPECT_GT(m["tokens_per_second"].get<double>(), 0);
    EXPECT_GT(m["output_bytes"].get<double>(), 0);
    EXPECT_EQ(m["steps"], 2);
    EXPECT_TRUE(m["new_task_accuracy"].is_number());
    EXPECT_TRUE(m["new_task_loss"].is_number());
    // Forgetting is the base's retained accuracy minus the method's.
    EXPECT_DOUBLE_EQ(m["forgetting"].get<double>(), base["retained_accuracy"].get<double>() -
                                                        m["retained_accuracy"].get<double>());
    EXPECT_DOUBLE_EQ(m["retain_loss_increase"].get<double>(),
                     m["retain_loss"].get<double>() - base["retain_loss"].get<double>());
    ASSERT_EQ(m["runs"].size(), 1u);
    EXPECT_EQ(m["runs"][0]["command"][0], "retune");
    EXPECT_EQ(m["runs"][0]["command"][1], "train");
    EXPECT_EQ(m["runs"][0]["files"].size(), 2u);
  }
  EXPECT_EQ(results["methods"][0]["method"], "lora");
  EXPECT_LT(results["methods"][0]["trainable_fraction"].get<double>(), 0.5);
  EXPECT_EQ(results["methods"][2]["method"], "full");
  EXPECT_DOUBLE_EQ(results["methods"][2]["trainable_fraction"].get<double>(), 1.0);
  // LT-SFT: its sparse phase's entries, both phases' steps, scored through its sparse difference.
  const json& lt_sft = results["methods"][3];
  EXPECT_EQ(lt_sft["status"], "ok") << lt_sft["error"];
  EXPECT_EQ(lt_sft["trainable_parameters"], 64);
  EXPECT_EQ(lt_sft["steps"], 3);
  EXPECT_TRUE(lt_sft["new_task_accuracy"].is_number());
  // IA3: a PEFT adapter of another type, scored through adapters::load_adapter.
  const json& ia3 = results["methods"][4];
  EXPECT_EQ(ia3["status"], "ok") << ia3["error"];
  EXPECT_EQ(ia3["method"], "ia3");
  EXPECT_TRUE(ia3["new_task_accuracy"].is_number());
  const json& broken = results["methods"][1];
  EXPECT_EQ(broken["status"], "failed");
  EXPECT_THAT(broken["error"].get<std::string>(), HasSubstr("none.jsonl"));
  EXPECT_TRUE(broken["new_task_accuracy"].is_null());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "out" / "broken" / "train.log"));
  EXPECT_TRUE(
      std::filesystem::is_regular_file(dir / "out" / "lora" / "adapter" / "adapter_config.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "out" / "full" / "model" / "config.json"));
  const std::string markdown = read_text_file(dir / "out" / "compare.md");
  EXPECT_THAT(markdown, HasSubstr("\n| lora | "));
  EXPECT_THAT(markdown, HasSubstr("\n| broken | failed: none.jsonl: cannot open"));

  const RetuneRun report = run_retune("report " + (dir / "out").string());
  ASSERT_EQ(report.exit_code, 0) << report.out;
  const std::string html = read_text_file(dir / "out" / "report.html");
  EXPECT_TRUE(tags_balanced(html));
  EXPECT_EQ(count_of(html, "scatter-plot"), 1u);
  EXPECT_EQ(count_of(html, "bar-chart"), 3u);
  EXPECT_EQ(count_of(html, "line-chart"), 1u);
  EXPECT_THAT(html, HasSubstr("<td>failed: none.jsonl: cannot open"));
}

TEST(CompareCli, ABadOverrideStopsBeforeAnyRunNamingTheMethodAndKey) {
  TempDir dir;
  write_file(dir / "compare.yaml",
             config_text("    - {name: lora}\n    - {name: dora, set: {lora.use_dorra: true}}\n"));
  const RetuneRun run = run_retune("compare " + (dir / "compare.yaml").string(), true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "retune: error: " + (dir / "compare.yaml").string() +
                         ":12: compare.methods[1] \"dora\": lora.use_dorra: unknown key; did you "
                         "mean lora.use_dora?\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(CompareCli, LeavesAFolderThatIsNotARunAlone) {
  TempDir dir;
  write_tiny_task(dir, "copy");
  write_tiny_task(dir, "reverse");
  write_file(dir / "compare.yaml", config_text("    - {name: notes}\n"));
  std::filesystem::create_directories(dir / "mine" / "notes");
  write_file(dir / "mine" / "notes" / "keep.txt", "mine");
  const RetuneRun run = run_retune(
      "compare " + (dir / "compare.yaml").string() + " --out " + (dir / "mine").string(), true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "retune: error: " + (dir / "mine" / "notes").string() +
                         ": exists and is not a run folder of a comparison (no train.log); "
                         "remove it or choose another --out\n");
  EXPECT_EQ(read_file(dir / "mine" / "notes" / "keep.txt"), "mine");
}

}  // namespace
}  // namespace retune::compare
