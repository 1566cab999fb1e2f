// `retune continual`: trains a sequence of tasks in order and measures what each task's training
// does to every task (continual/continual_config.h for the config, continual/cl_metrics.h for the
// metrics).
//
// Every task is one training run (train/training_run.h) in <output>/task-<i>-<name>/, with the
// tasks' test files as its data.retain and exact match on, so that every evaluation (at the
// start, every continual.eval_every steps and at the end) scores every task by the exact match
// of greedy completions. Strategies:
//   sequential        task i starts from task i-1's output: its model folder (full, bitfit,
//                     norm) or, for LoRA, its adapter, trained on (the base stays)
//   replay            sequential, and from task 1 on a share continual.replay_fraction of every
//                     batch's rows comes from a reservoir (continual/reservoir.h) of
//                     continual.buffer_size examples of the earlier tasks' training files
//                     (<output>/replay-buffer-<i>.jsonl, written before task i)
//   adapter_per_task  a new adapter on the base for each task; after task i, task j is scored
//                     with adapter j (j <= i; merge: none — the task identity is known) or with
//                     the mean of adapters 0..i (merge: mean, continual/adapter_mean.h)
//
// The results: R[i][j] (the accuracy on task j after task i), the starting model's accuracy b[j]
// (scored before the first task), the sequence metrics and, from the evaluations inside each
// task (sequential and replay), the stability gap's min-ACC and WC-ACC. They go to
// <output>/continual.json:
//   {"tasks": [names], "strategy", "method", "metric": "exact_match", "start": b,
//    "matrix": R, "metrics": {"average_accuracy", "average_forgetting", "backward_transfer",
//    "forward_transfer", "min_acc": [T, null for task 0], "wc_acc": [T]},
//    "curves": [{"task": i, "points": [{"step", "accuracy": [T]}]}], "runs": [task folders]}
// with curve steps counted over the whole sequence (task i's step s is s plus the steps of the
// tasks before it).
#pragma once

#include <string>
#include <vector>

#include "continual/cl_metrics.h"
#include "continual/continual_config.h"
#include "train/training_run.h"

namespace retune::continual {

struct ContinualResult {
  std::vector<std::string> tasks;
  std::vector<double> start;  // b
  AccuracyMatrix matrix;      // R
  SequenceMetrics metrics;
  std::vector<std::optional<double>> min_acc;  // per task k; none for k = 0
  std::vector<double> wc_acc;
  std::vector<std::vector<EvaluationPoint>> curves;  // per task, global steps
};

ContinualResult run_continual(const ContinualConfig& config, const train::RunEvents& events);

}  // namespace retune::continual
