#include "report/compare_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <functional>
#include <optional>

#include "core/error.h"
#include "report/bar_chart.h"
#include "report/json_fields.h"
#include "report/line_chart.h"
#include "report/markup.h"
#include "report/scatter_plot.h"
#include "report/training_metrics.h"

namespace retune::report {

using nlohmann::json;

namespace {

constexpr const char* kDash = "–";

// "45 MB", "1.25 GB", "12.3 kB".
std::string bytes_text(double bytes) {
  if (bytes >= 1e9) return fmt::format("{:.2f} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.1f} kB", bytes / 1e3);
}

std::string accuracy_text(double v) {
  return fmt::format("{:.3f}", v);
}
std::string loss_text(double v) {
  return fmt::format("{:.4f}", v);
}
std::string signed_accuracy_text(double v) {
  return fmt::format("{:+.3f}", v);
}
std::string signed_loss_text(double v) {
  return fmt::format("{:+.4f}", v);
}
std::string seconds_text(double v) {
  return fmt::format("{:.1f} s", v);
}
std::string rate_text(double v) {
  return fmt::format("{:.0f}", v);
}

// A method's entry (or the base's scores) as the table reads it.
class Entry {
 public:
  Entry(json object, std::string where) : object_(std::move(object)), where_(std::move(where)) {
    RETUNE_CHECK(object_.is_object(), "{}: expected an object", where_);
  }

  std::optional<double> number(const std::string& key) const {
    return optional_number(object_, key, where_);
  }

  // The value in `format`, with " ± std" when the entry has the key's standard deviation.
  std::string cell(const std::string& key, const std::function<std::string(double)>& format,
                   bool with_spread = true) const {
    const std::optional<double> value = number(key);
    if (!value) return kDash;
    std::string text = format(*value);
    if (const json* spreads = optional_object(object_, "std", where_); spreads && with_spread) {
      if (const auto deviation = optional_number(*spreads, key, where_ + ": std")) {
        std::string spread = format(*deviation);
        if (spread.starts_with('+')) spread.erase(0, 1);
        text += " ± " + spread;
      }
    }
    return text;
  }

  const json& object() const { return object_; }
  const std::string& where() const { return where_; }

 private:
  json object_;
  std::string where_;
};

std::vector<Entry> method_entries(const json& results, const std::string& where) {
  std::vector<Entry> entries;
  const json& methods = array_field(results, "methods", where);
  for (size_t i = 0; i < methods.size(); ++i) {
    entries.emplace_back(methods[i], fmt::format("{}: methods[{}]", where, i));
  }
  return entries;
}

bool failed(const Entry& method) {
  return optional_string(method.object(), "status", method.where()).value_or("ok") == "failed";
}

std::string name_of(const Entry& method) {
  return string_field(method.object(), "name", method.where());
}

std::string error_of(const Entry& method) {
  return optional_string(method.object(), "error", method.where()).value_or("no error line");
}

std::string trainable_text(const Entry& method) {
  const std::optional<double> count = method.number("trainable_parameters");
  if (!count) return kDash;
  const std::optional<double> fraction = method.number("trainable_fraction");
  return fraction ? fmt::format("{:.0f} ({}%)", *count, format_value(*fraction * 100, 2))
                  : fmt::format("{:.0f}", *count);
}

std::vector<std::string> file_names(const json& object, const std::string& key,
                                    const std::string& where) {
  std::vector<std::string> names;
  if (const json* files = optional_array(object, key, where)) {
    for (const json& file : *files) {
      RETUNE_CHECK(file.is_string(), "{}: field \"{}\": expected file names, got {}", where, key,
                   file.dump());
      names.push_back(file.get<std::string>());
    }
  }
  return names;
}

void add_trade_off(HtmlPage& page, const json& results, const std::string& where) {
  const Entry base(results.contains("base") ? results["base"] : json::object(), where + ": base");
  const bool accuracies = base.number("new_task_accuracy") && base.number("retained_accuracy");
  const std::string x_key = accuracies ? "forgetting" : "retain_loss_increase";
  const std::string y_key = accuracies ? "new_task_accuracy" : "new_task_loss";
  ScatterPlot plot{.title = accuracies ? "New-task accuracy against forgetting"
                                       : "New-task loss against the retain loss's increase",
                   .x_label = accuracies ? "forgetting: retained accuracy lost (lower is better)"
                                         : "retain loss increase (lower is better)",
                   .y_label = accuracies ? "new-task accuracy" : "new-task loss"};
  if (const auto y = base.number(y_key)) plot.points.push_back({"base", 0, *y});
  for (const Entry& method : method_entries(results, where)) {
    const auto x = method.number(x_key);
    const auto y = method.number(y_key);
    if (x && y) plot.points.push_back({name_of(method), *x, *y});
  }
  if (plot.points.size() <= 1) {
    page.add_note("No trade-off plot: no method has new-task and retain scores.");
    return;
  }
  page.add_figure(render_scatter_plot(plot));
}

void add_resource_bars(HtmlPage& page, const std::vector<Entry>& methods) {
  BarChart parameters{
      .title = "Trainable parameters", .axis_label = "parameters (log scale)", .log_scale = true};
  BarChart memory{.title = "Peak memory of the training process", .axis_label = "MB"};
  BarChart time{.title = "Training time (step loop)", .axis_label = "seconds"};
  for (const Entry& method : methods) {
    if (failed(method)) continue;
    const std::string name = name_of(method);
    parameters.bars.push_back(
        {name, method.number("trainable_parameters").value_or(NAN), trainable_text(method)});
    const double rss = method.number("peak_rss_bytes").value_or(NAN);
    memory.bars.push_back({name, rss / 1e6, std::isfinite(rss) ? bytes_text(rss) : kDash});
    time.bars.push_back({name, method.number("train_seconds").value_or(NAN),
                         method.cell("train_seconds", seconds_text, false)});
  }
  if (parameters.bars.empty()) return;
  page.add_figure(render_bar_chart(parameters));
  page.add_figure(render_bar_chart(memory));
  page.add_figure(render_bar_chart(time));
}

void add_loss_curves(HtmlPage& page, const std::vector<Entry>& methods,
                     const std::filesystem::path& folder) {
  LineChart loss{.title = "Training loss of every method", .x_label = "step", .y_label = "loss"};
  for (const Entry& method : methods) {
    const json* runs = optional_array(method.object(), "runs", method.where());
    if (failed(method) || runs == nullptr || runs->empty()) continue;
    const Entry first((*runs)[0], method.where() + ": runs[0]");
    const auto run = optional_string(first.object(), "folder", first.where());
    if (!run || !std::filesystem::is_regular_file(folder / *run / "metrics.jsonl")) continue;
    const TrainingMetrics curves = read_training_metrics(folder / *run / "metrics.jsonl");
    loss.series.push_back({name_of(method), curves.steps, curves.loss});
  }
  if (loss.series.empty()) {
    page.add_note("No loss curves: no method's run folder holds metrics.jsonl.");
    return;
  }
  page.add_figure(render_line_chart(loss));
}

}  // namespace

bool is_comparison(const std::filesystem::path& folder) {
  return std::filesystem::is_regular_file(folder / "compare.json");
}

HtmlTable comparison_table(const json& results, const std::string& where, bool short_failures) {
  HtmlTable table{.header = {"method", "new task", "new-task loss", "retained", "forgetting",
                             "Δ retain loss", "trainable", "peak RSS", "train time", "total time",
                             "tokens/s", "size"}};
  if (const json* base_object = optional_object(results, "base", where)) {
    const Entry base(*base_object, where + ": base");
    table.rows.push_back({"base (no training)", base.cell("new_task_accuracy", accuracy_text),
                          base.cell("new_task_loss", loss_text),
                          base.cell("retained_accuracy", accuracy_text), kDash, kDash});
  }
  for (const Entry& method : method_entries(results, where)) {
    if (failed(method)) {
      table.rows.push_back(
          {name_of(method), short_failures ? "failed" : "failed: " + error_of(method)});
      continue;
    }
    table.rows.push_back(
        {name_of(method), method.cell("new_task_accuracy", accuracy_text),
         method.cell("new_task_loss", loss_text), method.cell("retained_accuracy", accuracy_text),
         method.cell("forgetting", signed_accuracy_text),
         method.cell("retain_loss_increase", signed_loss_text), trainable_text(method),
         method.cell("peak_rss_bytes", bytes_text, false),
         method.cell("train_seconds", seconds_text), method.cell("wall_seconds", seconds_text),
         method.cell("tokens_per_second", rate_text),
         method.cell("output_bytes", bytes_text, false)});
  }
  return table;
}

std::vector<std::string> comparison_failures(const json& results, const std::string& where) {
  std::vector<std::string> lines;
  for (const Entry& method : method_entries(results, where)) {
    if (!failed(method)) continue;
    lines.push_back(fmt::format("{}: {}", name_of(method), error_of(method)));
  }
  return lines;
}

std::string comparison_settings(const json& results, const std::string& where) {
  const json empty = json::object();
  const json* config_object = optional_object(results, "config", where);
  const json& config = config_object ? *config_object : empty;
  const std::string at = where + ": config";
  const auto number = [&](const std::string& key) {
    const auto value = optional_number(config, key, at);
    return value ? format_value(*value) : std::string(kDash);
  };
  const auto files = [&](const std::string& key) {
    const std::vector<std::string> names = file_names(config, key, at);
    return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
  };
  std::string text = fmt::format(
      "Base model {}; trained on {} for {} steps (lr {}, batch {}, seed {}, {} run(s) per "
      "method); new task: {}; retain: {}.",
      optional_string(config, "model", at).value_or(kDash), files("train"), number("steps"),
      number("lr"), number("batch_size"), number("seed"), number("repeats"), files("new_task"),
      files("retain"));
  if (const json* machine = optional_object(results, "machine", where)) {
    const std::string m = where + ": machine";
    const auto memory = optional_number(*machine, "memory_bytes", m);
    text += fmt::format(" Machine: {} ({} cores, {} memory), {} thread(s).",
                        optional_string(*machine, "cpu", m).value_or(kDash),
                        format_value(optional_number(*machine, "cores", m).value_or(NAN)),
                        memory ? bytes_text(*memory) : std::string(kDash),
                        format_value(optional_number(*machine, "threads", m).value_or(NAN)));
  }
  if (const json* versions = optional_object(results, "versions", where)) {
    if (const auto retune = optional_string(*versions, "retune", where + ": versions")) {
      text += " retune " + *retune;
    }
  }
  if (const auto created = optional_string(results, "created_at", where)) {
    text += ", " + *created;
  }
  return text + ".";
}

std::string comparison_legend() {
  return "new task, retained: exact match of greedy completions on the new-task and retain test "
         "files (mean over files); losses: mean token loss; forgetting: the base's retained "
         "accuracy minus the method's (positive: forgotten); Δ retain loss: the method's retain "
         "loss minus the base's; trainable: trained parameters (share of all); peak RSS: the "
         "training process's maximum resident memory; train time: the step loop; total time: "
         "the whole training process (loading, initialisation, saving); tokens/s: input tokens "
         "per second of the step loop; size: the adapter or model folder on disk.";
}

void add_comparison(HtmlPage& page, const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "compare.json";
  const json results = read_json_object(path);
  const std::string where = path.string();
  page.add_heading("Methods");
  page.add_note(comparison_settings(results, where));
  page.add_table(comparison_table(results, where));
  page.add_note(comparison_legend());
  page.add_heading("Learning against forgetting");
  add_trade_off(page, results, where);
  const std::vector<Entry> methods = method_entries(results, where);
  page.add_heading("Cost");
  add_resource_bars(page, methods);
  page.add_heading("Training");
  add_loss_curves(page, methods, folder);
}

}  // namespace retune::report
