// `retune interpolate --model BASE (--tuned DIR | --adapter DIR) ...`: WiSE-FT weight
// interpolation (eval/weight_interpolation.h), θ(α) = (1 − α)·θ_base + α·θ_tuned, between a base
// model and a fine-tuned model of the same shapes or a PEFT adapter (LoRA, DoRA, IA3) of the base.
//
//   --alpha A --out DIR    writes the model at α as a Hugging Face model folder (atomically).
//   --sweep 0,0.5,1 --data NEW.jsonl... --retain OLD.jsonl... [--retain-budget X] [--json]
//                          scores the model at each α on the new task's files and the retain
//                          files as `retune eval` does (its --seq-len, --batch-size, --normalize
//                          ... flags apply) and prints a table: α, each file's loss and exact
//                          match, the mean new-task and retain accuracy. With --retain-budget
//                          the best α among those whose mean retain loss is at most X above
//                          α = 0's is marked (eval/interpolation_sweep.h). With --json one
//                          object {"base", "tuned" or "adapter", "retain_budget", "best_alpha",
//                          "points": [{"alpha", "data": [{"file", "loss", "accuracy" or null}],
//                          "retain": [...], "mean_data_loss", "mean_data_accuracy",
//                          "mean_retain_loss", "mean_retain_accuracy"}]} (null where there is
//                          no budget, best or accuracy).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/evaluation_options.h"
#include "cli/threads_option.h"
#include "core/error.h"
#include "eval/interpolation_sweep.h"
#include "eval/weight_interpolation.h"

namespace retune::cli {

namespace {

struct InterpolateOptions {
  std::string model;
  std::optional<std::string> tuned;
  std::optional<std::string> adapter;
  std::optional<std::string> alpha;
  std::optional<std::string> out;
  std::optional<std::string> sweep;
  std::vector<std::string> data;
  std::vector<std::string> retain;
  std::optional<double> retain_budget;
  EvaluationFlags evaluation;
  bool json = false;
  std::optional<int> threads;
};

// The flags that only --sweep takes, for the check that --alpha has none of them.
bool has_sweep_flags(const InterpolateOptions& options) {
  return !options.data.empty() || !options.retain.empty() || options.retain_budget || options.json;
}

eval::WeightInterpolation load_interpolation(const InterpolateOptions& options) {
  return options.tuned ? eval::WeightInterpolation::with_tuned_model(options.model, *options.tuned)
                       : eval::WeightInterpolation::with_adapter(options.model, *options.adapter);
}

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<double> accuracy_of(const eval::FileEvaluation& file) {
  return file.exact ? std::optional(file.exact->accuracy()) : std::nullopt;
}

nlohmann::json files_json(const std::vector<eval::FileEvaluation>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const eval::FileEvaluation& file : files) {
    out.push_back({{"file", file.file},
                   {"loss", file.loss.loss},
                   {"accuracy", optional_json(accuracy_of(file))}});
  }
  return out;
}

nlohmann::json sweep_json(const InterpolateOptions& options,
                          const std::vector<eval::SweepPoint>& points,
                          const std::optional<size_t>& best) {
  nlohmann::json out = {{"base", options.model}};
  if (options.tuned) out["tuned"] = *options.tuned;
  if (options.adapter) out["adapter"] = *options.adapter;
  out["retain_budget"] = optional_json(options.retain_budget);
  out["best_alpha"] = best ? nlohmann::json(points[*best].alpha) : nlohmann::json(nullptr);
  out["points"] = nlohmann::json::array();
  for (const eval::SweepPoint& point : points) {
    out["points"].push_back(
        {{"alpha", point.alpha},
         {"data", files_json(point.data)},
         {"retain", files_json(point.retain)},
         {"mean_data_loss", eval::mean_loss(point.data)},
         {"mean_data_accuracy", optional_json(eval::mean_accuracy(point.data))},
         {"mean_retain_loss", eval::mean_loss(point.retain)},
         {"mean_retain_accuracy", optional_json(eval::mean_accuracy(point.retain))}});
  }
  return out;
}

std::string accuracy_text(const std::optional<double>& accuracy) {
  return accuracy ? fmt::format("{:.1f}%", 100 * *accuracy) : "-";
}

// The table: a legend of the files, then a row per α.
void print_sweep_table(const InterpolateOptions& options,
                       const std::vector<eval::SweepPoint>& points,
                       const std::optional<size_t>& best) {
  std::vector<std::string> headers = {"alpha"};
  for (size_t i = 0; i < options.data.size(); ++i) {
    fmt::print("new{} = {}\n", i + 1, options.data[i]);
    headers.push_back(fmt::format("new{} loss", i + 1));
    headers.push_back(fmt::format("new{} acc", i + 1));
  }
  for (size_t i = 0; i < options.retain.size(); ++i) {
    fmt::print("retain{} = {}\n", i + 1, options.retain[i]);
    headers.push_back(fmt::format("retain{} loss", i + 1));
    headers.push_back(fmt::format("retain{} acc", i + 1));
  }
  headers.push_back("new acc");
  headers.push_back("retain acc");
  const auto print_row = [&](const std::vector<std::string>& cells, const std::string& note) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += fmt::format("{}{:>{}}", i == 0 ? "" : " | ", cells[i],
                          std::max<size_t>(headers[i].size(), 6));
    }
    fmt::print("{}{}\n", line, note);
  };
  print_row(headers, "");
  for (size_t p = 0; p < points.size(); ++p) {
    const eval::SweepPoint& point = points[p];
    std::vector<std::string> cells = {fmt::format("{:.3f}", point.alpha)};
    for (const auto* files : {&point.data, &point.retain}) {
      for (const eval::FileEvaluation& file : *files) {
        cells.push_back(fmt::format("{:.4f}", file.loss.loss));
        cells.push_back(
            accuracy_text(file.exact ? std::optional(file.exact->accuracy()) : std::nullopt));
      }
    }
    cells.push_back(accuracy_text(eval::mean_accuracy(point.data)));
    cells.push_back(accuracy_text(eval::mean_accuracy(point.retain)));
    print_row(cells, best == p
                         ? fmt::format("  <- best within retain budget {}", *options.retain_budget)
                         : "");
  }
}

int run_sweep(const InterpolateOptions& options) {
  RETUNE_CHECK(!options.out, "--out writes the model at one --alpha, not a --sweep");
  RETUNE_CHECK(!options.data.empty(), "--sweep needs the new task's files: --data FILE");
  RETUNE_CHECK(!options.retain.empty(), "--sweep needs retain files: --retain FILE");
  const std::vector<double> alphas = eval::parse_alpha_list(*options.sweep);
  if (options.retain_budget) {
    RETUNE_CHECK(*options.retain_budget >= 0, "--retain-budget must be >= 0, got {}",
                 *options.retain_budget);
    RETUNE_CHECK(std::find(alphas.begin(), alphas.end(), 0.0) != alphas.end(),
                 "--retain-budget is measured from alpha 0: put 0 in --sweep");
  }
  // Every file read and tokenized before a model loads: a bad line fails at once.
  const eval::FileEvaluationOptions evaluation = evaluation_options(options.evaluation);
  eval::EvaluationFiles data(options.model, options.model, options.data, evaluation);
  eval::EvaluationFiles retain(options.model, options.model, options.retain, evaluation);
  const eval::WeightInterpolation interpolation = load_interpolation(options);
  const std::vector<eval::SweepPoint> points = eval::sweep_interpolation(
      interpolation, alphas, data, retain, [&](const eval::SweepPoint& point) {
        fmt::print(stderr, "interpolate: alpha {} scored\n", point.alpha);
      });
  std::optional<size_t> best;
  if (options.retain_budget) best = eval::best_within_retain_budget(points, *options.retain_budget);
  if (options.json) {
    fmt::print("{}\n", sweep_json(options, points, best).dump(2));
  } else {
    print_sweep_table(options, points, best);
  }
  return 0;
}

int run_interpolate(const InterpolateOptions& options) {
  use_threads(options.threads);
  RETUNE_CHECK(options.tuned.has_value() != options.adapter.has_value(),
               "give one of --tuned DIR (a fine-tuned model) and --adapter DIR (a PEFT adapter)");
  RETUNE_CHECK(options.alpha.has_value() != options.sweep.has_value(),
               "give one of --alpha A (with --out DIR) and --sweep LIST");
  if (options.sweep) return run_sweep(options);
  RETUNE_CHECK(options.out, "--alpha needs --out DIR, the model folder to write");
  RETUNE_CHECK(!has_sweep_flags(options),
               "--data, --retain, --retain-budget and --json go with --sweep, not --alpha");
  const double alpha = eval::parse_alpha(*options.alpha);
  load_interpolation(options).write_model_folder(alpha, *options.out);
  fmt::print("{}: alpha {} between {} and {}\n", *options.out, alpha, options.model,
             options.tuned ? *options.tuned : *options.adapter);
  return 0;
}

}  // namespace

Command add_interpolate_command(CLI::App& app) {
  auto options = std::make_shared<InterpolateOptions>();
  CLI::App* command = app.add_subcommand(
      "interpolate",
      "WiSE-FT: interpolate a base model with its fine-tuned weights or adapter, or sweep the "
      "new-task/retain trade-off");
  command->add_option("--model", options->model, "the base model folder")
      ->type_name("DIR")
      ->required();
  command->add_option("--tuned", options->tuned, "a fine-tuned model folder of the same shapes")
      ->type_name("DIR");
  command
      ->add_option("--adapter", options->adapter,
                   "a PEFT adapter folder (LoRA, DoRA, IA3) or an SSF folder of the base")
      ->type_name("DIR");
  command->add_option("--alpha", options->alpha, "the weight of the tuned end, in [0, 1]")
      ->type_name("A");
  command
      ->add_option("--out", options->out, "the model folder to write at --alpha (replaced whole)")
      ->type_name("DIR");
  command->add_option("--sweep", options->sweep, "alphas to score, comma-separated: 0,0.5,1")
      ->type_name("LIST");
  command->add_option("--data", options->data, "a data file of the new task (repeatable)")
      ->type_name("FILE");
  command->add_option("--retain", options->retain, "a data file of what to keep (repeatable)")
      ->type_name("FILE");
  command
      ->add_option("--retain-budget", options->retain_budget,
                   "mark the best alpha whose mean retain loss is at most this above alpha 0's")
      ->type_name("X");
  add_evaluation_options(command, options->evaluation);
  command->add_flag("--json", options->json, "print the sweep as one JSON object");
  add_threads_option(command, options->threads);
  return {command, [options] { return run_interpolate(*options); }};
}

}  // namespace retune::cli
