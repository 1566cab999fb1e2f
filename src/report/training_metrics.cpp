#include "report/training_metrics.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "io/file_contents.h"
#include "report/json_fields.h"

namespace retune::report {

using nlohmann::json;

namespace {

json parse_line(const std::string& text, const std::string& where) {
  json line;
  try {
    line = json::parse(text);
  } catch (const json::parse_error& error) {
    fail("{}: not valid JSON at column {}: expected one JSON object a line", where, error.byte);
  } catch (const json::exception&) {  // a number past the double range
    fail("{}: not valid JSON: a number out of range", where);
  }
  RETUNE_CHECK(line.is_object(), "{}: expected a JSON object", where);
  return line;
}

RetainSeries& series_of(std::vector<RetainSeries>& retain, const std::string& file) {
  const auto found = std::find_if(retain.begin(), retain.end(),
                                  [&](const RetainSeries& s) { return s.file == file; });
  if (found != retain.end()) return *found;
  retain.push_back({.file = file});
  return retain.back();
}

void read_evaluation(const json& line, double step, const std::string& where,
                     TrainingMetrics& metrics) {
  metrics.eval_steps.push_back(step);
  metrics.eval_loss.push_back(optional_number(line, "eval_loss", where).value_or(NAN));
  metrics.eval_accuracy.push_back(optional_number(line, "eval_accuracy", where).value_or(NAN));
  const json* retain = optional_object(line, "retain", where);
  if (!retain) return;
  for (const auto& [file, values] : retain->items()) {
    const std::string entry = where + ": retain \"" + file + "\"";
    RETUNE_CHECK(values.is_object(), "{}: expected an object with \"loss\"", entry);
    RetainSeries& series = series_of(metrics.retain, file);
    series.steps.push_back(step);
    series.loss.push_back(number_field(values, "loss", entry));
    series.forgetting.push_back(optional_number(values, "forgetting", entry).value_or(NAN));
    series.accuracy.push_back(optional_number(values, "accuracy", entry).value_or(NAN));
  }
}

}  // namespace

bool TrainingMetrics::any_value(const std::vector<double>& series) {
  return std::any_of(series.begin(), series.end(), [](double v) { return std::isfinite(v); });
}

TrainingMetrics read_training_metrics(const std::filesystem::path& path) {
  std::istringstream text(read_text_file(path));
  TrainingMetrics metrics;
  int line_number = 0;
  for (std::string text_line; std::getline(text, text_line);) {
    ++line_number;
    if (text_line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(line_number);
    const json line = parse_line(text_line, where);
    const double step = number_field(line, "step", where);
    if (line.contains("loss")) {
      metrics.steps.push_back(step);
      metrics.loss.push_back(number_field(line, "loss", where));
      metrics.lr.push_back(optional_number(line, "lr", where).value_or(NAN));
    } else {
      read_evaluation(line, step, where, metrics);
    }
  }
  return metrics;
}

}  // namespace retune::report
