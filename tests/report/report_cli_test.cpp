// `retune report` end to end on small hand-written run folders: a page with the expected plots
// for a training run, a continual run and a demo; one-line errors and no report.html for
// malformed files and for folders that are not runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/files.h"
#include "support/run_retune.h"
#include "support/temp_dir.h"
#include "svg_checks.h"

namespace retune {
namespace {

const std::string kMetrics =
    R"({"step": 0, "eval_loss": 2.0, "eval_perplexity": 7.4, "eval_tokens": 10, "retain": {"old.jsonl": {"loss": 1.0, "perplexity": 2.7, "forgetting": 0.0, "accuracy": 0.9}}})"
    "\n"
    R"({"step": 1, "loss": 2.5, "lr": 0.001, "grad_norm": 1.0, "tokens_per_second": 100.0, "epoch": 0, "skipped": false})"
    "\n"
    R"({"step": 2, "loss": 2.1, "lr": 0.0005, "grad_norm": 0.8, "tokens_per_second": 110.0, "epoch": 0, "skipped": false})"
    "\n"
    R"({"step": 2, "eval_loss": 1.5, "eval_perplexity": 4.5, "eval_tokens": 10, "retain": {"old.jsonl": {"loss": 1.2, "perplexity": 3.3, "forgetting": 0.2, "accuracy": 0.8}}})"
    "\n";

const std::string kSummary =
    R"({"steps": 2, "method": "lora", "trainable_parameters": 1000, "total_parameters": 100000,
        "seconds": 1.5, "tokens_per_second": 105.0, "peak_rss_bytes": 1048576,
        "first_eval_loss": 2.0, "last_eval_loss": 1.5,
        "retain": [{"file": "old.jsonl", "base_loss": 1.0, "last_loss": 1.2, "forgetting": 0.2}]})";

void write_training_run(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  write_file(folder / "metrics.jsonl", kMetrics);
  write_file(folder / "summary.json", kSummary);
}

const std::string kContinual = R"({"tasks": ["reverse", "sort"], "strategy": "sequential",
  "method": "lora", "metric": "exact_match", "start": [0.0, 0.0],
  "matrix": [[0.9, 0.1], [0.5, 0.95]],
  "metrics": {"average_accuracy": 0.725, "average_forgetting": 0.4, "backward_transfer": -0.4,
              "forward_transfer": 0.1, "min_acc": [null, 0.5], "wc_acc": [null, 0.7]},
  "curves": [{"task": 0, "points": [{"step": 0, "accuracy": [0, 0]}, {"step": 2, "accuracy": [0.9, 0.1]}]},
             {"task": 1, "points": [{"step": 0, "accuracy": [0.9, 0.1]}, {"step": 2, "accuracy": [0.5, 0.95]}]}],
  "runs": ["task-0-reverse", "task-1-sort"]})";

void write_continual_run(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  write_file(folder / "continual.json", kContinual);
  write_training_run(folder / "task-0-reverse");
  write_training_run(folder / "task-1-sort");
}

// The page written for `folder` (exit code 0 expected), checked to be well formed.
std::string report_of(const std::filesystem::path& folder) {
  const RetuneRun run = run_retune("report " + shell_quote(folder.string()), true);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, (folder / "report.html").string() + "\n");
  const std::string html = read_file(folder / "report.html");
  std::string why;
  EXPECT_TRUE(tags_balanced(html, &why)) << why;
  return html;
}

TEST(ReportCli, TrainingRunPage) {
  TempDir dir;
  write_training_run(dir / "run");
  const std::string html = report_of(dir / "run");
  EXPECT_EQ(count_of(html, "<svg"), 6u);
  for (const char* title : {"Training loss", "Learning rate", "Eval loss", "Retain loss",
                            "Retain accuracy", "Forgetting (retain loss - base loss)"}) {
    EXPECT_NE(html.find(std::string(">") + title + "</text>"), std::string::npos) << title;
  }
  EXPECT_NE(html.find("<td>trainable share (%)</td><td class=\"number\">1</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>old.jsonl</td>"), std::string::npos);
}

TEST(ReportCli, TrainingRunWithoutEvaluationsNotesTheMissingPlots) {
  TempDir dir;
  std::filesystem::create_directories(dir / "run");
  write_file(dir / "run" / "metrics.jsonl", R"({"step": 1, "loss": 2.5})"
                                            "\n");
  const std::string out = (dir / "page.html").string();
  const RetuneRun run = run_retune("report " + (dir / "run").string() + " --out " + out, true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string html = read_file(out);
  EXPECT_EQ(count_of(html, "<svg"), 1u);  // the training loss; no lr, no evaluations
  EXPECT_NE(html.find("No summary.json"), std::string::npos);
  EXPECT_NE(html.find("No eval loss"), std::string::npos);
  EXPECT_NE(html.find("No retain loss"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "report.html"));
}

TEST(ReportCli, ContinualRunPage) {
  TempDir dir;
  write_continual_run(dir / "seq");
  const std::string html = report_of(dir / "seq");
  EXPECT_EQ(count_of(html, "<svg"), 3u);
  EXPECT_EQ(count_of(html, R"(class="cell")"), 6u);  // before training and after each task, × 2
  EXPECT_NE(html.find(">Accuracy after each task</text>"), std::string::npos);
  EXPECT_NE(html.find(">Accuracy on every task during the sequence</text>"), std::string::npos);
  EXPECT_NE(html.find(">Training loss, task after task</text>"), std::string::npos);
  EXPECT_EQ(count_of(html, R"(class="marker")"), 4u);  // 2 boundaries on each of 2 charts
  EXPECT_NE(html.find("<td>backward transfer</td><td class=\"number\">-0.4</td>"),
            std::string::npos);
}

TEST(ReportCli, DemoPageWithItsContinualRun) {
  TempDir dir;
  write_training_run(dir / "demo" / "methods" / "full");
  write_training_run(dir / "demo" / "methods" / "lora");
  write_continual_run(dir / "demo" / "continual");
  write_file(dir / "demo" / "demo.json", R"({"title": "Reverse <without> forgetting",
    "new_task": "reverse", "old_tasks": ["copy", "sort"],
    "methods": [{"name": "full", "new_task_accuracy": 0.98, "retained_accuracy": 0.41,
                 "forgetting": 0.52, "trainable_parameters": 800000, "seconds": 12.3,
                 "run": "methods/full"},
                {"name": "lora", "new_task_accuracy": 0.9, "retained_accuracy": 0.85,
                 "forgetting": 0.05, "trainable_parameters": 8000, "seconds": 6.0,
                 "run": "methods/lora"},
                {"name": "ia3"}],
    "base": {"new_task_accuracy": 0.0, "retained_accuracy": 0.93, "run": "base"},
    "continual": "continual"})");
  const std::string html = report_of(dir / "demo");
  EXPECT_NE(html.find("<title>Reverse &lt;without&gt; forgetting</title>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 6u);  // scatter, losses, retained accuracy; continual's 3
  EXPECT_EQ(count_of(html, R"(class="point")"), 2u);  // ia3 has no accuracy or forgetting
  EXPECT_NE(html.find(">Training loss of every method</text>"), std::string::npos);
  EXPECT_NE(html.find(">Retained accuracy (mean over old tasks)</text>"), std::string::npos);
  EXPECT_NE(html.find("<td>base (no training)</td>"), std::string::npos);
  EXPECT_NE(html.find(">Accuracy after each task</text>"), std::string::npos);
}

// Runs `retune report` on a folder expected to fail; returns its one line of output.
std::string error_of_report(const std::filesystem::path& folder) {
  const RetuneRun run = run_retune("report " + folder.string(), true);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(folder / "report.html"));
  EXPECT_EQ(count_of(run.out, "\n"), 1u) << run.out;
  return run.out;
}

TEST(ReportCli, MalformedFilesAreRefusedInOneLine) {
  TempDir dir;
  std::filesystem::create_directories(dir / "run");
  write_file(dir / "run" / "metrics.jsonl", R"({"step": 1, "loss": 2.5})"
                                            "\n"
                                            R"({"step": 2, "loss": "high"})"
                                            "\n");
  const std::string metrics = (dir / "run" / "metrics.jsonl").string();
  EXPECT_EQ(error_of_report(dir / "run"), "retune: error: " + metrics +
                                              ":2: field \"loss\": expected a number, got "
                                              "\"high\"\n");
  write_file(dir / "run" / "metrics.jsonl", "{\"step\": 1, \"loss\": 2.5}\n{oops\n");
  EXPECT_EQ(error_of_report(dir / "run"),
            "retune: error: " + metrics +
                ":2: not valid JSON at column 2: expected one JSON object a line\n");
  write_file(dir / "run" / "metrics.jsonl", "{\"loss\": 2.5}\n");
  EXPECT_EQ(error_of_report(dir / "run"),
            "retune: error: " + metrics + ":1: field \"step\" is missing\n");

  std::filesystem::create_directories(dir / "seq");
  write_file(dir / "seq" / "continual.json",
             R"({"tasks": ["a", "b"], "matrix": [[0.5, 0.1], [0.2]]})");
  EXPECT_EQ(error_of_report(dir / "seq"),
            "retune: error: " + (dir / "seq" / "continual.json").string() +
                ": field \"matrix\" row 1: expected an array of 2 values (one per task), got "
                "[0.2]\n");
  write_file(dir / "seq" / "continual.json", "[1, 2]");
  EXPECT_EQ(error_of_report(dir / "seq"),
            "retune: error: " + (dir / "seq" / "continual.json").string() +
                ": expected a JSON object, got [1,2]\n");

  std::filesystem::create_directories(dir / "demo");
  write_file(dir / "demo" / "demo.json",
             R"({"methods": [{"name": "full", "forgetting": "lots"}]})");
  EXPECT_EQ(error_of_report(dir / "demo"),
            "retune: error: " + (dir / "demo" / "demo.json").string() +
                ": methods[0]: field \"forgetting\": expected a number, got \"lots\"\n");
}

TEST(ReportCli, FolderWithoutRunFilesIsRefused) {
  TempDir dir;
  EXPECT_EQ(error_of_report(dir.path()),
            "retune: error: " + dir.path().string() +
                ": not a run folder: expected compare.json (retune compare), demo.json (retune "
                "demo), continual.json (retune continual), or metrics.jsonl or summary.json "
                "(retune train)\n");
  const RetuneRun missing = run_retune("report " + (dir / "none").string(), true);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "retune: error: " + (dir / "none").string() + ": not a folder\n");
}

}  // namespace
}  // namespace retune
