// A comparison's views from a hand-written compare.json: the table's cells (the base first,
// "mean ± deviation" with repeats, a failed method's error line in its row), the failures, Markdown
// and aligned text, the bar chart, and the report page with its plots; a malformed field is named.
#include "report/compare_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "report/bar_chart.h"
#include "report/run_report.h"
#include "report/svg_checks.h"
#include "report/text_table.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune::report {
namespace {

using nlohmann::json;
using testing::HasSubstr;

json results() {
  return json::parse(R"({
    "title": "retune compare: tiny",
    "created_at": "2026-11-27T12:00:00Z",
    "versions": {"retune": "0.1.0"},
    "machine": {"cpu": "Test CPU", "cores": 2, "memory_bytes": 8000000000, "threads": 1},
    "config": {"file": "tiny.yaml", "model": "base", "train": ["sort-train.jsonl"], "steps": 10,
               "lr": 0.003, "batch_size": 16, "seed": 0, "new_task": ["sort-test.jsonl"],
               "retain": ["copy-test.jsonl"], "repeats": 2},
    "base": {"new_task_accuracy": 0.1, "new_task_loss": 2.5, "retained_accuracy": 0.9,
             "retain_loss": 0.3},
    "methods": [
      {"name": "lora", "status": "ok", "error": null, "new_task_accuracy": 0.55,
       "new_task_loss": 1.25, "retained_accuracy": 0.85, "retain_loss": 0.35,
       "forgetting": 0.05, "retain_loss_increase": 0.05, "trainable_parameters": 4096,
       "total_parameters": 409600, "trainable_fraction": 0.01, "peak_rss_bytes": 45000000,
       "train_seconds": 3.26, "wall_seconds": 4.5, "tokens_per_second": 12000.4,
       "output_bytes": 20000,
       "std": {"new_task_accuracy": 0.05, "forgetting": 0.01, "train_seconds": 0.26},
       "runs": [{"seed": 0, "folder": "lora/seed-0"}, {"seed": 1, "folder": "lora/seed-1"}]},
      {"name": "broken", "status": "failed", "error": "none.jsonl: cannot open",
       "new_task_accuracy": null, "runs": [{"seed": 0, "folder": "broken/seed-0"}]}
    ]})");
}

TEST(CompareReport, TabulatesTheBaseAndEveryMethod) {
  const HtmlTable table = comparison_table(results(), "compare.json");
  ASSERT_EQ(table.header.size(), 12u);
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0],
            (std::vector<std::string>{"base (no training)", "0.100", "2.5000", "0.900", "–", "–"}));
  EXPECT_EQ(table.rows[1],
            (std::vector<std::string>{"lora", "0.550 ± 0.050", "1.2500", "0.850", "+0.050 ± 0.010",
                                      "+0.0500", "4096 (1%)", "45.0 MB", "3.3 s ± 0.3 s", "4.5 s",
                                      "12000", "20.0 kB"}));
  EXPECT_EQ(table.rows[2], (std::vector<std::string>{"broken", "failed: none.jsonl: cannot open"}));
  EXPECT_EQ(comparison_table(results(), "compare.json", true).rows[2],
            (std::vector<std::string>{"broken", "failed"}));
  EXPECT_EQ(comparison_failures(results(), "compare.json"),
            std::vector<std::string>{"broken: none.jsonl: cannot open"});
  const std::string settings = comparison_settings(results(), "compare.json");
  EXPECT_THAT(settings, HasSubstr("Base model base; trained on sort-train.jsonl for 10 steps"));
  EXPECT_THAT(settings, HasSubstr("retain: copy-test.jsonl."));
  EXPECT_THAT(settings, HasSubstr("Machine: Test CPU (2 cores, 8.00 GB memory), 1 thread(s)."));
}

TEST(CompareReport, WritesTablesAsMarkdownAndAlignedText) {
  const HtmlTable table{.header = {"method", "Δ loss"}, .rows = {{"a|b", "1.5"}, {"long name"}}};
  EXPECT_EQ(markdown_table(table),
            "| method | Δ loss |\n|---|---:|\n| a\\|b | 1.5 |\n| long name |  |\n");
  EXPECT_EQ(aligned_table(table),
            "method     Δ loss\n"
            "a|b           1.5\n"
            "long name\n");
}

TEST(CompareReport, DrawsBarsOnLinearAndLogAxes) {
  const std::string linear = render_bar_chart(
      {.title = "Memory", .axis_label = "MB", .bars = {{"a", 10, "10 MB"}, {"b", NAN, "–"}}});
  EXPECT_TRUE(tags_balanced(linear));
  EXPECT_EQ(count_of(linear, "<g class=\"bar\">"), 2u);
  const std::string log =
      render_bar_chart({.title = "Parameters",
                        .bars = {{"lora", 4096, "4096"}, {"full", 409600, "409600"}},
                        .log_scale = true});
  EXPECT_TRUE(tags_balanced(log));
  EXPECT_THAT(log, HasSubstr(">10000<"));  // a decade tick
}

TEST(CompareReport, RendersTheFolderAsAPage) {
  TempDir dir;
  write_file(dir / "compare.json", results().dump());
  std::filesystem::create_directories(dir / "lora" / "seed-0");
  write_file(dir / "lora" / "seed-0" / "metrics.jsonl",
             "{\"step\": 1, \"loss\": 2.0}\n{\"step\": 2, \"loss\": 1.5}\n");
  const std::string html = render_run_report(dir.path());
  EXPECT_TRUE(tags_balanced(html));
  EXPECT_THAT(html, HasSubstr("<title>retune comparison: "));
  EXPECT_EQ(count_of(html, "scatter-plot"), 1u);
  EXPECT_EQ(count_of(html, "bar-chart"), 3u);
  EXPECT_EQ(count_of(html, "line-chart"), 1u);
  EXPECT_THAT(html, HasSubstr("<td>failed: none.jsonl: cannot open</td>"));
  EXPECT_THAT(html, HasSubstr("0.550 ± 0.050"));

  json bad = results();
  bad["methods"][0]["forgetting"] = "lots";
  write_file(dir / "compare.json", bad.dump());
  EXPECT_EQ(error_of([&] { render_run_report(dir.path()); }),
            (dir / "compare.json").string() +
                ": methods[0]: field \"forgetting\": expected a number, got \"lots\"");
}

}  // namespace
}  // namespace retune::report
