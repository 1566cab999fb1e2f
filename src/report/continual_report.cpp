#include "report/continual_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "report/heat_map.h"
#include "report/json_fields.h"
#include "report/line_chart.h"
#include "report/markup.h"
#include "report/training_metrics.h"

namespace retune::report {

using nlohmann::json;

namespace {

// The array's numbers (null: NaN), which must be one per task.
std::vector<double> per_task(const json& array, size_t tasks, const std::string& what,
                             const std::string& where) {
  RETUNE_CHECK(array.is_array() && array.size() == tasks,
               "{}: {}: expected an array of {} values (one per task), got {}", where, what, tasks,
               array.dump().substr(0, 40));
  std::vector<double> values;
  for (size_t i = 0; i < array.size(); ++i) {
    values.push_back(number_element(array[i], fmt::format("{} [{}]", what, i), where));
  }
  return values;
}

struct Curve {
  size_t task = 0;
  std::vector<double> steps;
  std::vector<std::vector<double>> accuracy;  // [point][task]
};

struct ContinualRun {
  std::vector<std::string> tasks;
  std::optional<std::string> strategy, method, metric;
  std::optional<std::vector<double>> start;
  std::vector<std::vector<double>> matrix;  // [trained task][evaluated task]
  json metrics = json::object();
  std::vector<Curve> curves;
  std::vector<std::string> runs;
};

std::vector<Curve> read_curves(const json& curves, size_t tasks, const std::string& where) {
  std::vector<Curve> read;
  for (size_t k = 0; k < curves.size(); ++k) {
    const std::string in_curve = fmt::format("{}: curves[{}]", where, k);
    RETUNE_CHECK(curves[k].is_object(), "{}: expected an object with \"task\" and \"points\"",
                 in_curve);
    const double task = number_field(curves[k], "task", in_curve);
    RETUNE_CHECK(task >= 0 && task < static_cast<double>(tasks) && task == std::floor(task),
                 "{}: field \"task\": expected a task index below {}, got {}", in_curve, tasks,
                 task);
    Curve curve{.task = static_cast<size_t>(task)};
    const json& points = array_field(curves[k], "points", in_curve);
    for (size_t p = 0; p < points.size(); ++p) {
      const std::string in_point = fmt::format("{}.points[{}]", in_curve, p);
      RETUNE_CHECK(points[p].is_object(), "{}: expected an object with \"step\" and \"accuracy\"",
                   in_point);
      curve.steps.push_back(number_field(points[p], "step", in_point));
      curve.accuracy.push_back(
          per_task(array_field(points[p], "accuracy", in_point), tasks, "accuracy", in_point));
    }
    read.push_back(std::move(curve));
  }
  return read;
}

ContinualRun read_continual_run(const std::filesystem::path& path) {
  const json document = read_json_object(path);
  const std::string where = path.string();
  ContinualRun run;
  const json& tasks = array_field(document, "tasks", where);
  RETUNE_CHECK(!tasks.empty(), "{}: field \"tasks\": expected at least one task name", where);
  for (const json& task : tasks) {
    RETUNE_CHECK(task.is_string(), "{}: field \"tasks\": expected task names (strings), got {}",
                 where, task.dump());
    run.tasks.push_back(task.get<std::string>());
  }
  run.strategy = optional_string(document, "strategy", where);
  run.method = optional_string(document, "method", where);
  run.metric = optional_string(document, "metric", where);
  if (const json* start = optional_array(document, "start", where)) {
    run.start = per_task(*start, run.tasks.size(), "field \"start\"", where);
  }
  const json& matrix = array_field(document, "matrix", where);
  RETUNE_CHECK(matrix.size() <= run.tasks.size(),
               "{}: field \"matrix\": expected at most {} rows (one per task), got {}", where,
               run.tasks.size(), matrix.size());
  for (size_t i = 0; i < matrix.size(); ++i) {
    run.matrix.push_back(
        per_task(matrix[i], run.tasks.size(), fmt::format("field \"matrix\" row {}", i), where));
  }
  if (const json* metrics = optional_object(document, "metrics", where)) run.metrics = *metrics;
  if (const json* curves = optional_array(document, "curves", where)) {
    run.curves = read_curves(*curves, run.tasks.size(), where);
  }
  if (const json* runs = optional_array(document, "runs", where)) {
    for (const json& folder : *runs) {
      RETUNE_CHECK(folder.is_string(), "{}: field \"runs\": expected folder names, got {}", where,
                   folder.dump());
      run.runs.push_back(folder.get<std::string>());
    }
  }
  return run;
}

void add_metrics_tables(HtmlPage& page, const ContinualRun& run, const std::string& where) {
  HtmlTable table{.header = {"quantity", "value"}};
  table.rows.push_back({"tasks", fmt::format("{}", fmt::join(run.tasks, ", "))});
  if (run.strategy) table.rows.push_back({"strategy", *run.strategy});
  if (run.method) table.rows.push_back({"method", *run.method});
  if (run.metric) table.rows.push_back({"metric", *run.metric});
  const std::string in_metrics = where + ": metrics";
  for (const char* key :
       {"average_accuracy", "average_forgetting", "backward_transfer", "forward_transfer"}) {
    if (const auto value = optional_number(run.metrics, key, in_metrics)) {
      std::string name = key;
      std::replace(name.begin(), name.end(), '_', ' ');
      table.rows.push_back({name, format_value(*value)});
    }
  }
  page.add_table(table);

  HtmlTable tasks{.header = {"task", "start", "final", "min acc", "worst-case acc"}};
  const auto column = [&](const char* key) -> std::optional<std::vector<double>> {
    const json* values = optional_array(run.metrics, key, in_metrics);
    if (!values) return std::nullopt;
    return per_task(*values, run.tasks.size(), fmt::format("field \"{}\"", key), in_metrics);
  };
  const auto min_acc = column("min_acc");
  const auto wc_acc = column("wc_acc");
  for (size_t j = 0; j < run.tasks.size(); ++j) {
    const auto cell = [&](const std::optional<std::vector<double>>& values) {
      return values ? format_value((*values)[j]) : "–";
    };
    tasks.rows.push_back({run.tasks[j], cell(run.start),
                          run.matrix.empty() ? "–" : format_value(run.matrix.back()[j]),
                          cell(min_acc), cell(wc_acc)});
  }
  page.add_table(tasks);
}

void add_matrix(HtmlPage& page, const ContinualRun& run) {
  if (run.matrix.empty()) {
    page.add_note("No accuracy matrix: no task was trained.");
    return;
  }
  HeatMap map{.title = "Accuracy after each task", .column_labels = run.tasks};
  map.value_label = run.metric.value_or("accuracy");
  if (run.start) {
    map.row_labels.push_back("before training");
    map.values.push_back(*run.start);
  }
  for (size_t i = 0; i < run.matrix.size(); ++i) {
    map.row_labels.push_back(fmt::format("after task {}: {}", i, run.tasks[i]));
    map.values.push_back(run.matrix[i]);
  }
  // Accuracies share the scale [0, 1]; other values get their own span.
  bool fractions = true;
  for (const auto& row : map.values) {
    for (const double v : row) fractions = fractions && (!std::isfinite(v) || (v >= 0 && v <= 1));
  }
  if (fractions) map.value_range = AxisRange{0, 1};
  page.add_figure(render_heat_map(map));
}

// Global steps of every curve: a curve whose steps start below the previous curve's last step
// counts from 0 in its task and is shifted to follow it.
std::vector<std::vector<double>> global_steps(const std::vector<Curve>& curves) {
  std::vector<std::vector<double>> steps;
  double offset = 0;
  double previous_last = -INFINITY;
  for (const Curve& curve : curves) {
    if (curve.steps.empty()) {
      steps.emplace_back();
      continue;
    }
    if (curve.steps.front() < previous_last) offset = previous_last - curve.steps.front();
    std::vector<double> shifted;
    for (const double s : curve.steps) shifted.push_back(s + offset);
    previous_last = shifted.back();
    offset = 0;
    steps.push_back(std::move(shifted));
  }
  return steps;
}

void add_stability_curves(HtmlPage& page, const ContinualRun& run) {
  if (run.curves.empty()) {
    page.add_note("No stability curves: continual.json has no \"curves\".");
    return;
  }
  const std::vector<std::vector<double>> steps = global_steps(run.curves);
  LineChart chart{.title = "Accuracy on every task during the sequence",
                  .x_label = "global step",
                  .y_label = run.metric.value_or("accuracy")};
  for (size_t j = 0; j < run.tasks.size(); ++j) {
    LineSeries series{.name = run.tasks[j]};
    for (size_t k = 0; k < run.curves.size(); ++k) {
      series.x.insert(series.x.end(), steps[k].begin(), steps[k].end());
      for (const auto& accuracy : run.curves[k].accuracy) series.y.push_back(accuracy[j]);
    }
    chart.series.push_back(std::move(series));
  }
  for (size_t k = 0; k < run.curves.size(); ++k) {
    if (steps[k].empty()) continue;
    chart.markers.push_back({steps[k].front(), run.tasks[run.curves[k].task]});
  }
  chart.width = 1120;
  chart.plot_height = 280;
  page.add_figure(render_line_chart(chart));
}

void add_task_losses(HtmlPage& page, const ContinualRun& run, const std::filesystem::path& folder) {
  if (run.runs.empty()) {
    page.add_note("No training losses: continual.json names no runs.");
    return;
  }
  LineChart chart{
      .title = "Training loss, task after task", .x_label = "global step", .y_label = "loss"};
  double offset = 0;
  for (size_t k = 0; k < run.runs.size(); ++k) {
    const std::filesystem::path metrics = folder / run.runs[k] / "metrics.jsonl";
    if (!std::filesystem::is_regular_file(metrics)) {
      page.add_note(
          fmt::format("No loss curve for run {}: {} is missing.", run.runs[k], metrics.string()));
      continue;
    }
    const TrainingMetrics m = read_training_metrics(metrics);
    LineSeries series{.name = k < run.tasks.size() ? run.tasks[k] : run.runs[k]};
    for (size_t i = 0; i < m.steps.size(); ++i) {
      series.x.push_back(m.steps[i] + offset);
      series.y.push_back(m.loss[i]);
    }
    chart.markers.push_back({offset, series.name});
    if (!m.steps.empty()) offset = series.x.back();
    chart.series.push_back(std::move(series));
  }
  if (chart.series.empty()) return;
  chart.width = 1120;
  page.add_figure(render_line_chart(chart));
}

}  // namespace

bool is_continual_run(const std::filesystem::path& folder) {
  return std::filesystem::is_regular_file(folder / "continual.json");
}

void add_continual_run(HtmlPage& page, const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "continual.json";
  const ContinualRun run = read_continual_run(path);
  add_metrics_tables(page, run, path.string());
  add_matrix(page, run);
  add_stability_curves(page, run);
  add_task_losses(page, run, folder);
}

}  // namespace retune::report
