#include "report/demo_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "report/continual_report.h"
#include "report/json_fields.h"
#include "report/line_chart.h"
#include "report/markup.h"
#include "report/scatter_plot.h"
#include "report/training_metrics.h"

namespace retune::report {

using nlohmann::json;

namespace {

struct Method {
  std::string name;
  std::optional<double> new_task_accuracy, retained_accuracy, forgetting;
  std::optional<double> trainable_parameters, seconds;
  std::optional<std::string> run;
};

Method read_method(const json& entry, const std::string& where) {
  RETUNE_CHECK(entry.is_object(), "{}: expected an object with \"name\"", where);
  return {.name = string_field(entry, "name", where),
          .new_task_accuracy = optional_number(entry, "new_task_accuracy", where),
          .retained_accuracy = optional_number(entry, "retained_accuracy", where),
          .forgetting = optional_number(entry, "forgetting", where),
          .trainable_parameters = optional_number(entry, "trainable_parameters", where),
          .seconds = optional_number(entry, "seconds", where),
          .run = optional_string(entry, "run", where)};
}

std::string cell(const std::optional<double>& value) {
  return value ? format_value(*value) : "–";
}

void add_methods_table(HtmlPage& page, const std::vector<Method>& methods,
                       const std::optional<Method>& base) {
  HtmlTable table{.header = {"method", "new-task accuracy", "retained accuracy", "forgetting",
                             "trainable parameters", "seconds"}};
  if (base) {
    table.rows.push_back(
        {"base (no training)", cell(base->new_task_accuracy), cell(base->retained_accuracy)});
  }
  for (const Method& m : methods) {
    table.rows.push_back({m.name, cell(m.new_task_accuracy), cell(m.retained_accuracy),
                          cell(m.forgetting), cell(m.trainable_parameters), cell(m.seconds)});
  }
  page.add_table(table);
}

void add_trade_off(HtmlPage& page, const std::vector<Method>& methods) {
  ScatterPlot plot{.title = "New-task accuracy against forgetting",
                   .x_label = "forgetting (lower is better)",
                   .y_label = "new-task accuracy"};
  for (const Method& m : methods) {
    if (m.new_task_accuracy && m.forgetting) {
      plot.points.push_back({m.name, *m.forgetting, *m.new_task_accuracy});
    }
  }
  if (plot.points.empty()) {
    page.add_note("No trade-off plot: no method has both new_task_accuracy and forgetting.");
    return;
  }
  page.add_figure(render_scatter_plot(plot));
}

// The mean over retain files at each evaluation of the values `pick` selects (NaN where none).
LineSeries mean_retain(const std::string& name, const TrainingMetrics& m,
                       std::vector<double> RetainSeries::*pick) {
  std::map<double, std::pair<double, int>> sum_and_count;  // by step
  for (const RetainSeries& r : m.retain) {
    for (size_t i = 0; i < r.steps.size(); ++i) {
      auto& [sum, count] = sum_and_count[r.steps[i]];
      if (!std::isfinite((r.*pick)[i])) continue;
      sum += (r.*pick)[i];
      ++count;
    }
  }
  LineSeries series{.name = name};
  for (const auto& [step, sum_count] : sum_and_count) {
    series.x.push_back(step);
    series.y.push_back(sum_count.second > 0 ? sum_count.first / sum_count.second : NAN);
  }
  return series;
}

void add_method_curves(HtmlPage& page, const std::vector<Method>& methods,
                       const std::filesystem::path& folder) {
  LineChart loss{.title = "Training loss of every method", .x_label = "step", .y_label = "loss"};
  LineChart retained_accuracy{
      .title = "Retained accuracy (mean over old tasks)", .x_label = "step", .y_label = "accuracy"};
  LineChart retain_loss{
      .title = "Retain loss (mean over old tasks)", .x_label = "step", .y_label = "loss"};
  for (const Method& m : methods) {
    if (!m.run) continue;
    const std::filesystem::path metrics = folder / *m.run / "metrics.jsonl";
    if (!std::filesystem::is_regular_file(metrics)) {
      page.add_note(fmt::format("No curves for {}: {} is missing.", m.name, metrics.string()));
      continue;
    }
    const TrainingMetrics curves = read_training_metrics(metrics);
    loss.series.push_back({m.name, curves.steps, curves.loss});
    retained_accuracy.series.push_back(mean_retain(m.name, curves, &RetainSeries::accuracy));
    retain_loss.series.push_back(mean_retain(m.name, curves, &RetainSeries::loss));
  }
  if (loss.series.empty()) {
    page.add_note("No curves: no method names a run folder with metrics.jsonl.");
    return;
  }
  page.add_figure(render_line_chart(loss));
  const auto any = [](const LineChart& chart) {
    return std::any_of(chart.series.begin(), chart.series.end(),
                       [](const LineSeries& s) { return TrainingMetrics::any_value(s.y); });
  };
  if (any(retained_accuracy)) {
    page.add_figure(render_line_chart(retained_accuracy));
  } else if (any(retain_loss)) {
    page.add_figure(render_line_chart(retain_loss));
  } else {
    page.add_note("No retention curves: the runs had no retain files.");
  }
}

}  // namespace

bool is_demo_run(const std::filesystem::path& folder) {
  return std::filesystem::is_regular_file(folder / "demo.json");
}

std::string demo_title(const std::filesystem::path& folder, const std::string& fallback) {
  const std::filesystem::path path = folder / "demo.json";
  return optional_string(read_json_object(path), "title", path.string()).value_or(fallback);
}

void add_demo_run(HtmlPage& page, const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "demo.json";
  const json demo = read_json_object(path);
  const std::string where = path.string();
  std::vector<Method> methods;
  const json& entries = array_field(demo, "methods", where);
  for (size_t i = 0; i < entries.size(); ++i) {
    methods.push_back(read_method(entries[i], fmt::format("{}: methods[{}]", where, i)));
  }
  std::optional<Method> base;
  if (const json* entry = optional_object(demo, "base", where)) {
    json named = *entry;
    named["name"] = "base";
    base = read_method(named, where + ": base");
  }
  page.add_heading("Methods");
  const auto new_task = optional_string(demo, "new_task", where);
  std::vector<std::string> old_tasks;
  if (const json* old = optional_array(demo, "old_tasks", where)) {
    for (const json& task : *old) {
      RETUNE_CHECK(task.is_string(), "{}: field \"old_tasks\": expected task names, got {}", where,
                   task.dump());
      old_tasks.push_back(task.get<std::string>());
    }
  }
  if (new_task || !old_tasks.empty()) {
    page.add_note(
        fmt::format("New task: {}; old tasks: {}.", new_task.value_or("–"),
                    old_tasks.empty() ? "–" : fmt::format("{}", fmt::join(old_tasks, ", "))));
  }
  add_methods_table(page, methods, base);
  add_trade_off(page, methods);
  add_method_curves(page, methods, folder);
  if (const auto continual = optional_string(demo, "continual", where)) {
    page.add_heading("Continual run: " + *continual);
    if (is_continual_run(folder / *continual)) {
      add_continual_run(page, folder / *continual);
    } else {
      page.add_note(fmt::format("{} holds no continual.json.", (folder / *continual).string()));
    }
  }
}

}  // namespace retune::report
