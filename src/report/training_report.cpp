#include "report/training_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "report/json_fields.h"
#include "report/line_chart.h"
#include "report/markup.h"
#include "report/training_metrics.h"

namespace retune::report {

using nlohmann::json;

namespace {

std::string optional_value(const std::optional<double>& value) {
  return value ? format_value(*value) : "–";
}

// summary.json's scalars as a two-column table, and its retain files as another.
void add_summary(HtmlPage& page, const std::filesystem::path& path) {
  const json summary = read_json_object(path);
  const std::string where = path.string();
  HtmlTable table{.header = {"quantity", "value"}};
  const auto add_number = [&](const char* name, const std::string& key) {
    if (const auto value = optional_number(summary, key, where)) {
      table.rows.push_back({name, format_value(*value)});
    }
  };
  if (const auto method = optional_string(summary, "method", where)) {
    table.rows.push_back({"method", *method});
  }
  add_number("steps", "steps");
  add_number("trainable parameters", "trainable_parameters");
  add_number("total parameters", "total_parameters");
  const auto trainable = optional_number(summary, "trainable_parameters", where);
  const auto total = optional_number(summary, "total_parameters", where);
  if (trainable && total && *total > 0) {
    table.rows.push_back({"trainable share (%)", format_value(100 * *trainable / *total)});
  }
  add_number("seconds", "seconds");
  add_number("tokens per second", "tokens_per_second");
  if (const auto rss = optional_number(summary, "peak_rss_bytes", where)) {
    table.rows.push_back({"peak memory (MiB)", format_value(*rss / (1024.0 * 1024.0))});
  }
  add_number("first eval loss", "first_eval_loss");
  add_number("last eval loss", "last_eval_loss");
  if (const json* budget = optional_object(summary, "forgetting_budget", where)) {
    const std::string in_budget = where + ": forgetting_budget";
    table.rows.push_back(
        {"forgetting budget", optional_value(optional_number(*budget, "budget", in_budget))});
    table.rows.push_back({"budget exceeded at step",
                          optional_value(optional_number(*budget, "exceeded_at_step", in_budget))});
    table.rows.push_back(
        {"output step", optional_value(optional_number(*budget, "output_step", in_budget))});
  }
  page.add_table(table);
  const json* retain = optional_array(summary, "retain", where);
  if (!retain || retain->empty()) return;
  HtmlTable files{.header = {"retain file", "base loss", "last loss", "forgetting"}};
  for (size_t i = 0; i < retain->size(); ++i) {
    const json& entry = (*retain)[i];
    const std::string in_entry = fmt::format("{}: retain[{}]", where, i);
    RETUNE_CHECK(entry.is_object(), "{}: expected an object", in_entry);
    files.rows.push_back({string_field(entry, "file", in_entry),
                          format_value(number_field(entry, "base_loss", in_entry)),
                          format_value(number_field(entry, "last_loss", in_entry)),
                          format_value(number_field(entry, "forgetting", in_entry))});
  }
  page.add_table(files);
}

// One series per retain file of the values `pick` selects; empty when no file has any.
std::vector<LineSeries> retain_series(const TrainingMetrics& metrics,
                                      std::vector<double> RetainSeries::*pick) {
  std::vector<LineSeries> series;
  bool any = false;
  for (const RetainSeries& r : metrics.retain) {
    series.push_back({r.file, r.steps, r.*pick});
    any = any || TrainingMetrics::any_value(r.*pick);
  }
  return any ? series : std::vector<LineSeries>{};
}

// A chart of `series` over steps, or a note saying that `what` was not recorded.
void add_step_chart(HtmlPage& page, const std::string& title, const std::string& y_label,
                    std::vector<LineSeries> series, const std::string& absent_note) {
  if (series.empty()) {
    if (!absent_note.empty()) page.add_note(absent_note);
    return;
  }
  page.add_figure(render_line_chart(
      {.title = title, .x_label = "step", .y_label = y_label, .series = std::move(series)}));
}

void add_metrics_charts(HtmlPage& page, const std::filesystem::path& path) {
  const TrainingMetrics m = read_training_metrics(path);
  const auto one = [](const std::string& name, const std::vector<double>& steps,
                      const std::vector<double>& values) {
    return TrainingMetrics::any_value(values) ? std::vector<LineSeries>{{name, steps, values}}
                                              : std::vector<LineSeries>{};
  };
  add_step_chart(page, "Training loss", "loss", one("training loss", m.steps, m.loss),
                 "No training loss: metrics.jsonl has no step lines.");
  if (TrainingMetrics::any_value(m.lr)) {
    page.add_figure(render_line_chart({.title = "Learning rate",
                                       .x_label = "step",
                                       .series = {{"learning rate", m.steps, m.lr}},
                                       .plot_height = 100}));
  }
  add_step_chart(page, "Eval loss", "loss", one("eval loss", m.eval_steps, m.eval_loss),
                 "No eval loss: the run had no eval files.");
  add_step_chart(page, "Eval accuracy", "accuracy",
                 one("eval accuracy", m.eval_steps, m.eval_accuracy), "");
  add_step_chart(page, "Retain loss", "loss", retain_series(m, &RetainSeries::loss),
                 "No retain loss: the run had no retain files.");
  add_step_chart(page, "Retain accuracy", "accuracy", retain_series(m, &RetainSeries::accuracy),
                 "");
  add_step_chart(page, "Forgetting (retain loss - base loss)", "forgetting",
                 retain_series(m, &RetainSeries::forgetting), "");
}

}  // namespace

bool is_training_run(const std::filesystem::path& folder) {
  return std::filesystem::is_regular_file(folder / "metrics.jsonl") ||
         std::filesystem::is_regular_file(folder / "summary.json");
}

void add_training_run(HtmlPage& page, const std::filesystem::path& folder) {
  if (std::filesystem::is_regular_file(folder / "summary.json")) {
    add_summary(page, folder / "summary.json");
  } else {
    page.add_note("No summary.json: the run did not finish.");
  }
  if (std::filesystem::is_regular_file(folder / "metrics.jsonl")) {
    add_metrics_charts(page, folder / "metrics.jsonl");
  } else {
    page.add_note("No metrics.jsonl: no curves.");
  }
}

}  // namespace retune::report
