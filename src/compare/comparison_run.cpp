#include "compare/comparison_run.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <vector>

#include "compare/child_process.h"
#include "compare/machine_info.h"
#include "compare/model_scores.h"
#include "compare/trained_model.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/version.h"
#include "io/atomic_file.h"
#include "io/file_contents.h"
#include "report/compare_report.h"
#include "report/text_table.h"

namespace retune::compare {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The per-run numbers that a method's entry averages.
constexpr const char* kMetrics[] = {
    "new_task_accuracy",    "new_task_loss",    "retained_accuracy",
    "retain_loss",          "forgetting",       "retain_loss_increase",
    "trainable_parameters", "total_parameters", "trainable_fraction",
    "peak_rss_bytes",       "train_seconds",    "wall_seconds",
    "tokens_per_second",    "output_bytes",     "steps"};

json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

std::optional<double> difference(const std::optional<double>& a, const std::optional<double>& b) {
  return a && b ? std::optional(*a - *b) : std::nullopt;
}

// A path as the results show it: relative to the config file's folder when it lies below it,
// else as it is (absolute).
std::string shown_path(const CompareConfig& config, const fs::path& path) {
  const fs::path relative = path.lexically_relative(config.file.parent_path());
  return relative.empty() || *relative.begin() == ".." ? path.string() : relative.string();
}

json scores_json(const CompareConfig& config, const ModelScores& scores) {
  json files = json::array();
  for (const FileScore& f : scores.files) {
    files.push_back({{"file", shown_path(config, f.file)},
                     {"new_task", f.new_task},
                     {"examples", f.examples},
                     {"loss", f.loss},
                     {"accuracy", optional_json(f.accuracy)}});
  }
  return {{"new_task_accuracy", optional_json(scores.new_task_accuracy())},
          {"new_task_loss", optional_json(scores.new_task_loss())},
          {"retained_accuracy", optional_json(scores.retained_accuracy())},
          {"retain_loss", optional_json(scores.retain_loss())},
          {"files", files}};
}

int64_t folder_bytes(const fs::path& folder) {
  int64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) bytes += static_cast<int64_t>(entry.file_size());
  }
  return bytes;
}

// The last "retune: error: ..." (or internal error) line a failed run printed, without the lead.
std::optional<std::string> error_line(const fs::path& log) {
  std::optional<std::string> found;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    for (const std::string_view lead : {"retune: error: ", "retune: internal error: "}) {
      if (line.starts_with(lead)) found = line.substr(lead.size());
    }
  }
  return found;
}

// One training run: its folder, command and what the child and its summary.json said.
struct Run {
  uint64_t seed = 0;
  fs::path folder;
  std::vector<std::string> command;
  std::optional<std::string> error;
  json summary;
  json entry;  // the run's compare.json entry, filled as it goes
};

// The run's adapter or model folder: summary.json's "output", relative to the folder the run
// ran in (the config file's).
fs::path trained_output(const CompareConfig& config, const Run& run) {
  return config.file.parent_path() / run.summary.at("output").get<std::string>();
}

// Reads the run's summary.json into its entry. LT-SFT's holds its two phases' summaries
// ("dense", "sparse"): the parameters are the sparse phase's (the entries it trains), the steps,
// seconds and tokens both phases'.
void record_summary(const CompareConfig& config, Run& run) {
  run.summary = read_json_file(run.folder / "summary.json");
  std::vector<const json*> phases = {&run.summary};
  if (run.summary.contains("dense") && run.summary.contains("sparse")) {
    phases = {&run.summary.at("dense"), &run.summary.at("sparse")};
  }
  double seconds = 0;
  double tokens = 0;
  int64_t steps = 0;
  for (const json* phase : phases) {
    seconds += phase->at("seconds").get<double>();
    tokens += phase->at("seconds").get<double>() * phase->at("tokens_per_second").get<double>();
    steps += phase->at("steps").get<int64_t>();
  }
  const json& last = *phases.back();
  const double trainable = last.at("trainable_parameters").get<double>();
  const double total = last.at("total_parameters").get<double>();
  run.entry.update({{"trainable_parameters", last.at("trainable_parameters")},
                    {"total_parameters", last.at("total_parameters")},
                    {"trainable_fraction", total > 0 ? trainable / total : 0.0},
                    {"train_seconds", seconds},
                    {"tokens_per_second", seconds > 0 ? tokens / seconds : 0.0},
                    {"steps", steps},
                    {"output_bytes", folder_bytes(trained_output(config, run))}});
}

// Where run `repeat` of the method goes.
fs::path run_folder(const CompareConfig& config, const CompareMethod& method, int64_t repeat,
                    const fs::path& out) {
  return config.repeats > 1 ? out / method.name / fmt::format("seed-{}", run_seed(method, repeat))
                            : out / method.name;
}

// Refuses to replace a folder that is not an earlier comparison's run (it has train.log) or
// empty: OUT may be a folder that holds other things.
void check_replaceable(const fs::path& folder) {
  if (!fs::exists(folder)) return;
  RETUNE_CHECK(fs::is_directory(folder) &&
                   (fs::is_empty(folder) || fs::is_regular_file(folder / "train.log")),
               "{}: exists and is not a run folder of a comparison (no train.log); remove it or "
               "choose another --out",
               folder.string());
}

Run train_run(const CompareConfig& config, const CompareMethod& method, int64_t repeat,
              const fs::path& out, const std::function<void(const std::string&)>& note) {
  Run run{.seed = run_seed(method, repeat), .folder = run_folder(config, method, repeat, out)};
  fs::remove_all(run.folder);
  fs::create_directories(run.folder);
  const fs::path cwd = config.file.parent_path();
  run.command = {"retune", "train", "/dev/null"};
  for (const std::string& override :
       run_overrides(config, method, run.folder.lexically_relative(cwd), repeat)) {
    run.command.insert(run.command.end(), {"--set", override});
  }
  const fs::path log = run.folder / "train.log";
  const ChildRun child = run_child("/proc/self/exe", run.command, cwd, log);
  run.entry = {{"seed", run.seed},
               {"folder", run.folder.lexically_relative(out).string()},
               {"command", run.command},
               {"peak_rss_bytes", child.peak_rss_bytes},
               {"wall_seconds", child.wall_seconds}};
  if (!child.succeeded()) {
    const std::optional<std::string> line = error_line(log);
    run.error = line ? *line : fmt::format("{} (see {})", child.describe_failure(), log.string());
  } else {
    try {
      record_summary(config, run);
    } catch (const Error& error) {
      run.error = error.what();
    } catch (const json::exception& error) {
      run.error = fmt::format("{}: {}", (run.folder / "summary.json").string(), error.what());
    }
  }
  if (run.error) {
    note(fmt::format("compare: {} failed: {}", method.name, *run.error));
    return run;
  }
  note(fmt::format("compare: {} trained in {:.1f} s, peak RSS {:.0f} MB", method.name,
                   child.wall_seconds, static_cast<double>(child.peak_rss_bytes) / 1e6));
  return run;
}

void score_run(Run& run, const CompareConfig& config, ModelScorer& scorer,
               const ModelScores& base) {
  const std::unique_ptr<model::CausalLm> model =
      load_trained_model(config.base.model, trained_output(config, run));
  const ModelScores scores = scorer.score(*model);
  json scored = scores_json(config, scores);
  scored["forgetting"] =
      optional_json(difference(base.retained_accuracy(), scores.retained_accuracy()));
  scored["retain_loss_increase"] =
      optional_json(difference(scores.retain_loss(), base.retain_loss()));
  run.entry.update(scored);
}

// The method's entry: its runs, and the mean (and with several, the sample standard deviation)
// of each metric over the runs that succeeded.
json method_json(const CompareMethod& method, const std::vector<Run>& runs) {
  json entry = {{"name", method.name},  {"set", method.set}, {"method", nullptr},
                {"lora_init", nullptr}, {"status", "ok"},    {"error", nullptr}};
  json std_devs = json::object();
  json run_entries = json::array();
  for (const Run& run : runs) {
    json r = run.entry;
    r["status"] = run.error ? "failed" : "ok";
    r["error"] = run.error ? json(*run.error) : json(nullptr);
    run_entries.push_back(r);
    if (run.error && entry["status"] == "ok") {
      entry["status"] = "failed";
      entry["error"] = *run.error;
    }
    if (!run.error) {
      entry["method"] = run.summary.value("method", json(nullptr));
      entry["lora_init"] = run.summary.value("lora_init", json(nullptr));
    }
  }
  for (const char* metric : kMetrics) {
    std::vector<double> values;
    for (const Run& run : runs) {
      if (!run.error && run.entry.contains(metric) && run.entry[metric].is_number()) {
        values.push_back(run.entry[metric].get<double>());
      }
    }
    if (values.empty()) {
      entry[metric] = nullptr;
      continue;
    }
    double mean = 0;
    for (const double v : values) mean += v / static_cast<double>(values.size());
    entry[metric] = mean;
    if (values.size() > 1) {
      double squares = 0;
      for (const double v : values) squares += (v - mean) * (v - mean);
      std_devs[metric] = std::sqrt(squares / static_cast<double>(values.size() - 1));
    }
  }
  if (runs.size() > 1) entry["std"] = std_devs;
  entry["runs"] = run_entries;
  return entry;
}

json header_json(const CompareConfig& config) {
  const MachineInfo machine = machine_info();
  const auto shown = [&](const std::vector<fs::path>& files) {
    std::vector<std::string> names;
    for (const fs::path& file : files) names.push_back(shown_path(config, file));
    return names;
  };
  return {{"title", "retune compare: " + config.file.stem().string()},
          {"created_at", utc_timestamp()},
          {"versions", {{"retune", std::string(version())}}},
          {"machine",
           {{"cpu", machine.cpu},
            {"cores", machine.cores},
            {"memory_bytes", machine.memory_bytes},
            {"threads", config.base.threads.value_or(num_threads())}}},
          {"config",
           {{"file", config.file.filename().string()},
            {"base_overrides", config.base_overrides},
            {"model", shown_path(config, config.base.model)},
            {"train", shown(config.base.data.train)},
            {"steps", config.base.training.steps},
            {"lr", config.base.training.lr},
            {"batch_size", config.base.training.batch_size},
            {"seed", config.base.training.seed},
            {"new_task", shown(config.new_task)},
            {"retain", shown(config.retain)},
            {"repeats", config.repeats}}}};
}

std::string markdown(const json& results) {
  const std::string where = "compare.json";
  std::string text = fmt::format("# {}\n\n{}\n\n", results.at("title").get<std::string>(),
                                 report::comparison_settings(results, where));
  text += report::markdown_table(report::comparison_table(results, where));
  return text + "\n" + report::comparison_legend() + "\n";
}

}  // namespace

ComparisonOutcome run_comparison(const CompareConfig& config, const fs::path& out_folder,
                                 const std::function<void(const std::string&)>& note) {
  const fs::path out = fs::absolute(out_folder).lexically_normal();
  fs::create_directories(out);
  if (config.base.threads) set_num_threads(*config.base.threads);
  // Every scored file read and tokenized before any training: a bad line fails at once.
  ModelScorer scorer(config);
  for (const CompareMethod& method : config.methods) {
    for (int64_t repeat = 0; repeat < config.repeats; ++repeat) {
      check_replaceable(run_folder(config, method, repeat, out));
    }
  }

  std::vector<std::vector<Run>> runs(config.methods.size());
  const size_t total = config.methods.size() * static_cast<size_t>(config.repeats);
  size_t started = 0;
  for (size_t m = 0; m < config.methods.size(); ++m) {
    for (int64_t repeat = 0; repeat < config.repeats; ++repeat) {
      const CompareMethod& method = config.methods[m];
      note(fmt::format("compare: [{}/{}] training {} (seed {})", ++started, total, method.name,
                       run_seed(method, repeat)));
      runs[m].push_back(train_run(config, method, repeat, out, note));
    }
  }

  note("compare: scoring the base model");
  const ModelScores base = scorer.score(*model::load_causal_lm(config.base.model));
  ComparisonOutcome outcome{.results = header_json(config)};
  outcome.results["base"] = scores_json(config, base);
  json methods = json::array();
  for (size_t m = 0; m < config.methods.size(); ++m) {
    for (Run& run : runs[m]) {
      if (run.error) continue;
      note(fmt::format("compare: scoring {}", config.methods[m].name));
      try {
        score_run(run, config, scorer, base);
      } catch (const Error& error) {
        run.error = fmt::format("scoring: {}", error.what());
        note(fmt::format("compare: {} failed: {}", config.methods[m].name, *run.error));
      }
    }
    methods.push_back(method_json(config.methods[m], runs[m]));
    if (methods.back()["status"] == "failed") ++outcome.failed_methods;
  }
  outcome.results["methods"] = methods;
  write_file_atomically(out / "compare.json", outcome.results.dump(2) + "\n");
  write_file_atomically(out / "compare.md", markdown(outcome.results));
  return outcome;
}

}  // namespace retune::compare
