#include "continual/continual_run.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "adapters/trained_adapter.h"
#include "continual/adapter_mean.h"
#include "continual/reservoir.h"
#include "core/error.h"
#include "data/dataset_file.h"
#include "eval/exact_match.h"
#include "io/atomic_file.h"
#include "io/file_contents.h"
#include "model/generation_config.h"
#include "tokenizer/tokenizer.h"

namespace retune::continual {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Exact match of a model on every task's test file.
class TaskScorer {
 public:
  TaskScorer(const train::TrainConfig& train, const std::vector<ContinualTask>& tasks)
      : tokenizer_(Tokenizer::load(train.tokenizer.value_or(train.model))) {
    options_.stop_ids =
        eval::end_token_ids(model::load_generation_config(train.model), tokenizer_, std::nullopt);
    for (const ContinualTask& task : tasks) {
      tests_.push_back(read_examples(task.test, DataFormat::detect));
    }
  }

  double score(const model::CausalLm& model, size_t task) {
    const eval::ExactMatch match = eval::exact_match(model, tokenizer_, tests_[task], options_);
    RETUNE_CHECK(match.scored > 0,
                 "continual: the test file of task {} has no prompt/completion "
                 "example to score",
                 task);
    return match.accuracy();
  }

 private:
  Tokenizer tokenizer_;
  eval::ExactMatchOptions options_;
  std::vector<std::vector<Example>> tests_;
};

// The evaluations of one task's run (metrics.jsonl): every task's accuracy at each, the steps
// moved by `offset`.
std::vector<EvaluationPoint> read_curve(const fs::path& metrics, const std::vector<fs::path>& tests,
                                        int64_t offset) {
  std::vector<EvaluationPoint> points;
  std::istringstream lines(read_text_file(metrics));
  for (std::string line; std::getline(lines, line);) {
    const json entry = json::parse(line);
    if (!entry.contains("retain")) continue;
    EvaluationPoint point{.step = offset + entry.at("step").get<int64_t>()};
    for (const fs::path& test : tests) {
      point.accuracy.push_back(entry.at("retain").at(test.string()).at("accuracy").get<double>());
    }
    points.push_back(std::move(point));
  }
  return points;
}

// The non-empty lines of a JSONL training file.
std::vector<std::string> jsonl_lines(const fs::path& file) {
  RETUNE_CHECK(file.extension() == ".jsonl",
               "continual.strategy replay and kfpf keep JSONL lines of the training files; {} is "
               "not a .jsonl file",
               file.string());
  std::vector<std::string> lines;
  std::istringstream text(read_text_file(file));
  for (std::string line; std::getline(text, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

ContinualResult run_continual(const ContinualConfig& config, const train::RunEvents& events) {
  const auto note = [&](const std::string& line) {
    if (events.note) events.note(line);
  };
  const fs::path output = config.train.output;
  const size_t count = config.tasks.size();
  std::vector<fs::path> tests;
  ContinualResult result;
  for (const ContinualTask& task : config.tasks) {
    tests.push_back(task.test);
    result.tasks.push_back(task.name);
  }
  TaskScorer scorer(config.train, config.tasks);
  {
    std::unique_ptr<model::CausalLm> start = model::load_causal_lm(config.train.model);
    if (config.train.adapter) adapters::load_adapter(*start, *config.train.adapter);
    for (size_t j = 0; j < count; ++j) result.start.push_back(scorer.score(*start, j));
  }
  note(fmt::format("continual: {} tasks, strategy {}; the starting model scores {}", count,
                   strategy_name(config.strategy), fmt::join(result.start, ", ")));
  fs::create_directories(output);

  const bool trains_adapter = train::trains_adapter(config.train.method);
  fs::path model = config.train.model;
  std::optional<fs::path> adapter = config.train.adapter;
  std::vector<fs::path> adapters_so_far;
  Reservoir buffer(config.buffer_size, config.train.training.seed);
  std::vector<std::string> runs;
  int64_t steps_before = 0;
  for (size_t i = 0; i < count; ++i) {
    const ContinualTask& task = config.tasks[i];
    train::TrainConfig run = config.train;
    runs.push_back(fmt::format("task-{}-{}", i, task.name));
    run.output = output / runs.back();
    run.data.train = {task.train};
    run.data.retain = tests;
    run.data.exact_match = true;
    run.eval_every = config.eval_every;
    if (config.strategy != Strategy::adapter_per_task) {
      run.model = model;
      run.adapter = adapter;
    }
    const bool buffered = config.strategy == Strategy::replay || config.strategy == Strategy::kfpf;
    run.forgetting.fpf_every = 0;  // no k-FPF before there is a buffer
    if (buffered && !buffer.items().empty()) {
      const fs::path file = output / fmt::format("replay-buffer-{}.jsonl", i);
      write_file_atomically(file, fmt::format("{}\n", fmt::join(buffer.items(), "\n")));
      if (config.strategy == Strategy::replay) {
        run.forgetting.replay = config.replay_fraction;
        run.forgetting.replay_data = {file};
      } else {
        run.forgetting.fpf_every = config.train.forgetting.fpf_every;
        run.forgetting.fpf_data = {file};
      }
    }
    note(fmt::format("continual: task {} of {}: {} ({})", i + 1, count, task.name,
                     run.output.string()));
    const train::TrainSummary summary = train::run_training(run, false, events);
    if (trains_adapter) {
      adapter = summary.output;
      adapters_so_far.push_back(summary.output);
    } else {
      model = summary.output;
    }

    std::vector<double> row(count);
    if (config.strategy != Strategy::adapter_per_task) {
      for (size_t j = 0; j < count; ++j) row[j] = *summary.retain[j].last_accuracy;
      result.curves.push_back(read_curve(run.output / "metrics.jsonl", tests, steps_before));
    } else if (config.merge == AdapterMerge::none) {
      for (size_t j = 0; j < count; ++j) {
        row[j] = j < i    ? result.matrix[j][j]
                 : j == i ? *summary.retain[j].last_accuracy
                          : result.start[j];
      }
      result.curves.emplace_back();  // the task's own adapter: no curve of the sequence
    } else {
      const auto mean = load_adapter_mean(config.train.model, adapters_so_far);
      for (size_t j = 0; j < count; ++j) row[j] = scorer.score(*mean, j);
      result.curves.emplace_back();
    }
    result.matrix.push_back(row);
    note(fmt::format("continual: after {}: {}", task.name, fmt::join(row, ", ")));
    steps_before += summary.steps;
    if (buffered) {
      for (std::string& line : jsonl_lines(task.train)) buffer.offer(std::move(line));
    }
  }

  result.metrics = sequence_metrics(result.matrix, result.start);
  json min_acc = json::array();
  json wc_acc = json::array();
  for (size_t k = 0; k < count; ++k) {
    result.min_acc.push_back(min_accuracy(result.matrix, result.curves, static_cast<int64_t>(k)));
    result.wc_acc.push_back(
        worst_case_accuracy(result.matrix, result.curves, static_cast<int64_t>(k)));
    min_acc.push_back(optional_json(result.min_acc.back()));
    wc_acc.push_back(result.wc_acc.back());
  }
  json curves = json::array();
  for (size_t i = 0; i < count; ++i) {
    json points = json::array();
    for (const EvaluationPoint& point : result.curves[i]) {
      points.push_back({{"step", point.step}, {"accuracy", point.accuracy}});
    }
    curves.push_back({{"task", i}, {"points", points}});
  }
  const json report = {{"tasks", result.tasks},
                       {"strategy", strategy_name(config.strategy)},
                       {"merge", config.merge == AdapterMerge::mean ? "mean" : "none"},
                       {"method", train::method_name(config.train)},
                       {"metric", "exact_match"},
                       {"start", result.start},
                       {"matrix", result.matrix},
                       {"metrics",
                        {{"average_accuracy", result.metrics.average_accuracy},
                         {"average_forgetting", optional_json(result.metrics.average_forgetting)},
                         {"backward_transfer", optional_json(result.metrics.backward_transfer)},
                         {"forward_transfer", optional_json(result.metrics.forward_transfer)},
                         {"min_acc", min_acc},
                         {"wc_acc", wc_acc}}},
                       {"curves", curves},
                       {"runs", runs}};
  write_file_atomically(output / "continual.json", report.dump(2) + "\n");
  return result;
}

}  // namespace retune::continual
