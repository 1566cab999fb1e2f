#include "continual/forgetting_demo.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "continual/continual_run.h"
#include "core/error.h"
#include "data/dataset_file.h"
#include "eval/exact_match.h"
#include "eval/weight_interpolation.h"
#include "io/atomic_file.h"
#include "io/file_contents.h"
#include "model/generation_config.h"
#include "pretrain/char_tokenizer.h"
#include "pretrain/corpus_text.h"
#include "pretrain/initial_model_folder.h"
#include "report/run_report.h"
#include "tasks/task_generation.h"
#include "tokenizer/tokenizer.h"

namespace retune::continual {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The base recipe's version: a change to the base's tasks, sizes or pretraining takes a new key.
constexpr const char* kBaseKey = "demo-base-v2";
// The new tasks' symbols are the old ones' (letters and digits): LoRA leaves the embeddings
// frozen, so a symbol the base never saw keeps its random vector.
const std::vector<std::string> kOldTasks = {"copy", "reverse", "maximum"};
constexpr const char* kNewTask = "sort";
const std::vector<std::string> kContinualTasks = {"sort", "count", "parity", "lookup"};
constexpr int64_t kTrainExamples = 2000;
constexpr int64_t kSeqLen = 64;
constexpr int64_t kBatchSize = 16;

struct TaskFiles {
  fs::path train;
  fs::path test;
};

TaskFiles write_task(const fs::path& folder, const std::string& name, int64_t test_examples) {
  const TaskFiles files{folder / (name + "-train.jsonl"), folder / (name + "-test.jsonl")};
  tasks::write_task_jsonl(
      tasks::generate_task(name, {.n = kTrainExamples, .seed = 1, .split = tasks::Split::train}),
      files.train);
  tasks::write_task_jsonl(
      tasks::generate_task(name, {.n = test_examples, .seed = 2, .split = tasks::Split::test}),
      files.test);
  return files;
}

// The settings every run of the demo shares: a constant budget of steps with a short warmup and
// a cosine decay, evaluations every quarter.
train::TrainConfig run_config(const fs::path& model, const fs::path& output, int64_t steps,
                              const DemoOptions& options) {
  train::TrainConfig config;
  config.model = model;
  config.output = output;
  config.data.seq_len = kSeqLen;
  config.training.batch_size = kBatchSize;
  config.training.steps = steps;
  config.schedule.kind = train::LrScheduleKind::cosine;
  config.schedule.warmup_steps = std::max<int64_t>(1, steps / 20);
  config.schedule.min_lr_ratio = 0.1;
  config.log_every = 10;
  config.threads = options.threads;
  return config;
}

// The pretrained base, from the cache or made now: a fresh model with a character tokenizer over
// every task's text, trained in full on the old tasks' mixture.
fs::path cached_base(const DemoOptions& options, const std::vector<fs::path>& corpus,
                     const std::vector<fs::path>& old_train, const train::RunEvents& events,
                     bool& from_cache) {
  const fs::path folder = options.cache / fmt::format("{}-{}", kBaseKey, options.pretrain_steps);
  const fs::path model = folder / "pretrain" / "model";
  from_cache = fs::exists(folder / "complete");
  if (from_cache) return model;
  fs::remove_all(folder);
  fs::create_directories(folder);
  const std::vector<std::string> texts = pretrain::read_corpus_texts(corpus);
  pretrain::ModelSpec spec;
  spec.kv_heads = 2;
  spec.max_positions = kSeqLen;
  pretrain::write_initial_model_folder(folder / "init", spec, /*seed=*/0, [&](const fs::path& f) {
    pretrain::write_tokenizer_files(f, pretrain::make_char_tokenizer(texts, kSeqLen));
  });
  if (events.note) events.note("demo: pretraining the base model on copy, reverse and maximum");
  train::TrainConfig pretraining =
      run_config(folder / "init", folder / "pretrain", options.pretrain_steps, options);
  pretraining.method = train::TrainMethod::full;
  pretraining.data.train = old_train;
  pretraining.training.lr = 3e-3;
  train::run_training(pretraining, false, events);
  write_file_atomically(folder / "complete", fmt::format("{}\n", kBaseKey));
  return model;
}

// The accuracy of the last (or first) evaluation of a run's new-task file.
double eval_accuracy(const fs::path& run, bool first) {
  std::optional<double> found;
  std::istringstream lines(read_text_file(run / "metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const json entry = json::parse(line);
    if (!entry.contains("eval_accuracy")) continue;
    found = entry["eval_accuracy"].get<double>();
    if (first) break;
  }
  RETUNE_CHECK(found.has_value(), "{}: no evaluation with an accuracy", run.string());
  return *found;
}

struct Method {
  std::string name;
  train::TrainConfig config;
};

std::vector<Method> methods(const train::TrainConfig& common,
                            const std::vector<fs::path>& old_train) {
  std::vector<Method> all;
  const auto add = [&](const std::string& name, auto&& adjust) {
    train::TrainConfig config = common;
    config.output = common.output / name;
    adjust(config);
    all.push_back({name, config});
  };
  const auto full = [](train::TrainConfig& c) {
    c.method = train::TrainMethod::full;
    c.training.lr = 1e-3;
  };
  const auto lora = [](train::TrainConfig& c) {
    c.method = train::TrainMethod::lora;
    c.lora.r = 8;
    c.lora.alpha = 16;
    c.lora.target_modules = {"all-linear"};
    c.training.lr = 3e-3;
  };
  add("full", full);
  add("lora", lora);
  add("lora+replay", [&](train::TrainConfig& c) {
    lora(c);
    c.forgetting.replay = 0.25;
    c.forgetting.replay_data = old_train;
  });
  add("lora+distill", [&](train::TrainConfig& c) {
    lora(c);
    c.forgetting.distill = 1.0;
    c.forgetting.distill_data = old_train;
  });
  add("full+l2sp", [&](train::TrainConfig& c) {
    full(c);
    c.forgetting.l2sp = 0.3;
  });
  add("full+ewc", [&](train::TrainConfig& c) {
    full(c);
    // The Fisher of a base that fits its tasks is small (its predictions are confident): the
    // weight has to be large for the penalty to matter next to the new task's gradients.
    c.forgetting.ewc = 1e6;
    c.forgetting.ewc_data = old_train;
  });
  add("full+kfpf", [&](train::TrainConfig& c) {
    full(c);
    c.forgetting.fpf_every = 50;
    c.forgetting.fpf_steps = 10;
    c.forgetting.fpf_data = old_train;
  });
  return all;
}

// Exact match of `model` on a test file.
double accuracy(const model::CausalLm& model, const fs::path& base, const fs::path& test) {
  Tokenizer tokenizer = Tokenizer::load(base);
  const eval::ExactMatchOptions options{
      .stop_ids =
          eval::end_token_ids(model::load_generation_config(base), tokenizer, std::nullopt)};
  return eval::exact_match(model, tokenizer, read_examples(test, DataFormat::detect), options)
      .accuracy();
}

// WiSE-FT of the full fine-tune: the weights halfway between the base and it, scored as the
// runs are (no training: its time is the interpolation's and the scoring's).
DemoMethodResult wise_ft(const fs::path& base, const fs::path& tuned, const TaskFiles& new_task,
                         const std::vector<fs::path>& old_test, const DemoMethodResult& full,
                         double base_retained) {
  const auto start = std::chrono::steady_clock::now();
  const auto model = eval::WeightInterpolation::with_tuned_model(base, tuned).model_at(0.5);
  DemoMethodResult r{.name = "full+wise-ft",
                     .new_task_accuracy = accuracy(*model, base, new_task.test),
                     .trainable_parameters = full.trainable_parameters};
  for (const fs::path& test : old_test) {
    r.retained_accuracy += accuracy(*model, base, test) / static_cast<double>(old_test.size());
  }
  r.forgetting = base_retained - r.retained_accuracy;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

json method_json(const DemoMethodResult& r, const std::optional<fs::path>& run) {
  json entry = {{"name", r.name},
                {"new_task_accuracy", r.new_task_accuracy},
                {"retained_accuracy", r.retained_accuracy},
                {"forgetting", r.forgetting},
                {"trainable_parameters", r.trainable_parameters},
                {"seconds", r.seconds}};
  if (run) entry["run"] = *run;
  return entry;
}

}  // namespace

DemoResult run_forgetting_demo(const DemoOptions& options, const train::RunEvents& events) {
  const auto note = [&](const std::string& line) {
    if (events.note) events.note(line);
  };
  DemoResult result{.new_task = kNewTask, .old_tasks = kOldTasks};
  const fs::path data = options.out / "data";
  fs::create_directories(data);
  std::vector<fs::path> old_train;
  std::vector<fs::path> old_test;
  std::vector<fs::path> corpus;
  for (const std::string& name : kOldTasks) {
    const TaskFiles files = write_task(data, name, options.test_examples);
    old_train.push_back(files.train);
    old_test.push_back(files.test);
  }
  std::vector<TaskFiles> continual_files;
  for (const std::string& name : kContinualTasks)
    continual_files.push_back(write_task(data, name, options.test_examples));
  const TaskFiles new_task = continual_files.front();
  corpus = old_train;
  corpus.insert(corpus.end(), old_test.begin(), old_test.end());
  for (const TaskFiles& files : continual_files) {
    corpus.push_back(files.train);
    corpus.push_back(files.test);
  }
  const fs::path base = cached_base(options, corpus, old_train, events, result.base_from_cache);
  note(fmt::format("demo: base model {}{}", base.string(),
                   result.base_from_cache ? " (cached)" : ""));

  train::TrainConfig common = run_config(base, options.out / "methods", options.steps, options);
  common.data.train = {new_task.train};
  common.data.eval = {new_task.test};
  common.data.retain = old_test;
  common.data.exact_match = true;
  common.eval_every = std::max<int64_t>(1, options.steps / 4);
  json method_entries = json::array();
  for (const Method& method : methods(common, old_train)) {
    note(fmt::format("demo: fine-tuning on {} with {}", kNewTask, method.name));
    const train::TrainSummary summary = train::run_training(method.config, false, events);
    DemoMethodResult r{.name = method.name,
                       .new_task_accuracy = eval_accuracy(method.config.output, false),
                       .trainable_parameters = summary.trainable_parameters,
                       .seconds = summary.seconds};
    double base_retained = 0;
    for (const train::RetainResult& retained : summary.retain) {
      r.retained_accuracy += *retained.last_accuracy / static_cast<double>(summary.retain.size());
      base_retained += *retained.base_accuracy / static_cast<double>(summary.retain.size());
    }
    r.forgetting = base_retained - r.retained_accuracy;
    result.base_retained_accuracy = base_retained;
    result.base_new_task_accuracy = eval_accuracy(method.config.output, true);
    result.methods.push_back(r);
    method_entries.push_back(method_json(r, fs::path("methods") / method.name));
    if (method.name == "full") {
      note("demo: WiSE-FT, halfway between the base and the full fine-tune");
      result.methods.push_back(
          wise_ft(base, method.config.output / "model", new_task, old_test, r, base_retained));
      method_entries.push_back(method_json(result.methods.back(), std::nullopt));
    }
  }

  json demo = {{"title", "retune demo: fine-tuning on a new task, and what the model forgets"},
               {"new_task", kNewTask},
               {"old_tasks", kOldTasks},
               {"steps", options.steps},
               {"base",
                {{"new_task_accuracy", result.base_new_task_accuracy},
                 {"retained_accuracy", result.base_retained_accuracy}}},
               {"methods", method_entries}};
  if (options.continual_steps > 0) {
    note(fmt::format("demo: a continual run over {}", fmt::join(kContinualTasks, ", ")));
    ContinualConfig continual{
        .train = run_config(base, options.out / "continual", options.continual_steps, options),
        .eval_every = std::max<int64_t>(1, options.continual_steps / 4)};
    continual.train.method = train::TrainMethod::lora;
    continual.train.lora.r = 8;
    continual.train.lora.alpha = 16;
    continual.train.lora.target_modules = {"all-linear"};
    continual.train.training.lr = 3e-3;
    for (size_t i = 0; i < kContinualTasks.size(); ++i) {
      continual.tasks.push_back(
          {kContinualTasks[i], continual_files[i].train, continual_files[i].test});
    }
    run_continual(continual, events);
    demo["continual"] = "continual";
  }
  write_file_atomically(options.out / "demo.json", demo.dump(2) + "\n");
  result.report = options.out / "report.html";
  report::write_run_report(options.out, result.report);
  return result;
}

}  // namespace retune::continual
