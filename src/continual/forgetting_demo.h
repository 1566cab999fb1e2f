// `retune demo`: forgetting made visible in minutes on a laptop, with nothing to download.
//
// 1. Procedural tasks (tasks/): old tasks copy, reverse and maximum, and a new task, sort, each
//    with a train split (2000 examples) and a test split (100 by default), written to
//    <out>/data/. The base's tokenizer is built from the test splits too: the cache key does
//    not name their size, so the first run's alphabet must cover any later run's (it does: every
//    task's 2000 training examples hold its whole alphabet).
// 2. A base model that knows the old tasks: a tiny Llama-architecture model (hidden 64, two
//    layers, a character tokenizer over every task's text: pretrain/) pretrained from scratch
//    on the old tasks' mixture (full training, 1000 steps). It is cached in <cache>/<key>/ (the
//    key names the recipe's version and the pretraining steps) and reused by later runs.
// 3. Fine-tuning on the new task with every method, the same budget each (steps, batch,
//    schedule; the learning rate suits the method): full, LoRA, LoRA with replay of the old
//    tasks, LoRA with self-distillation on the old tasks, full with L2-SP, full with EWC, full
//    with k-FPF (every 50 steps, 10 steps on the old tasks for the norms, head and last layer);
//    and WiSE-FT, the weights halfway between the base and the full fine-tune (no training).
//    Each run (<out>/methods/<name>/, a training run folder) evaluates the new task's test split
//    and the old tasks' (as data.retain) by exact match at the start, every quarter and the end.
// 4. A continual run (<out>/continual/, continual/continual_run.h): sequential LoRA over four
//    tasks from the base, giving the accuracy matrix and the continual-learning metrics.
// 5. <out>/demo.json and <out>/report.html (report/run_report.h).
//
// demo.json: {"title", "new_task", "old_tasks", "steps", "base": {"new_task_accuracy",
// "retained_accuracy"}, "methods": [{"name", "new_task_accuracy", "retained_accuracy",
// "forgetting", "trainable_parameters", "seconds", "run"}], "continual": "continual"} where
// retained accuracy is the mean exact match over the old tasks and forgetting the mean fall of
// that accuracy from the base's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/training_run.h"

namespace retune::continual {

struct DemoOptions {
  std::filesystem::path out = "retune-demo";
  std::filesystem::path cache;    // the base model's cache folder (the CLI picks ~/.cache/retune)
  int64_t pretrain_steps = 1000;  // the base's pretraining (the cache key names it)
  int64_t steps = 300;            // fine-tuning steps per method
  int64_t continual_steps = 150;  // per task of the continual run; 0: no continual run
  int64_t test_examples = 100;    // per task's test split
  std::optional<int> threads;
};

struct DemoMethodResult {
  std::string name;
  double new_task_accuracy = 0;
  double retained_accuracy = 0;
  double forgetting = 0;
  int64_t trainable_parameters = 0;
  double seconds = 0;
};

struct DemoResult {
  std::string new_task;
  std::vector<std::string> old_tasks;
  double base_new_task_accuracy = 0;
  double base_retained_accuracy = 0;
  std::vector<DemoMethodResult> methods;
  bool base_from_cache = false;
  std::filesystem::path report;
};

DemoResult run_forgetting_demo(const DemoOptions& options, const train::RunEvents& events);

}  // namespace retune::continual
