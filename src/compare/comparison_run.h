// A whole `retune compare` run: every method of a CompareConfig trained with the same data,
// budget and seed on the same base, each as its own `retune train` child process, then the base
// and every trained model scored in this process on the same files, tabulated.
//
// Each run is `retune train /dev/null --set KEY=VALUE ...` with every setting on the command
// line (CompareConfig::base_overrides, the method's set, output, seed: run_overrides), started in
// the config file's folder so that relative paths mean what they mean in the file (the results
// show the paths below that folder relative to it, and the command as it was run there); its
// stdout
// and stderr go to its folder's train.log, and wait4 gives its own peak RSS. The training runs
// all come first, while this process is small (compare/child_process.h says why), then the
// scoring. A method whose training or scoring fails is reported with its error line; the others
// go on.
//
// OUT/ holds:
//   <name>/             the method's `retune train` output folder (adapter/ or model/,
//                       metrics.jsonl, summary.json, checkpoint) and train.log; with repeats > 1
//                       one folder per run, <name>/seed-<seed>/. Replaced at each comparison
//                       (a folder there without train.log, not empty, stops it before it starts).
//   compare.json        the results (below)
//   compare.md          the table as Markdown, with the settings and the machine
//
// compare.json: {"title", "created_at", "versions": {"retune"}, "machine": {"cpu", "cores",
// "memory_bytes", "threads"}, "config": {"file", "base_overrides" (the file's keys, then --set),
// "model", "train": [FILE...], "steps", "lr", "batch_size", "seed", "new_task": [FILE...],
// "retain": [FILE...], "repeats"}, "base": {SCORES}, "methods": [{"name", "set": ["key=value"...],
// "method", "lora_init", "status": "ok" | "failed", "error": LINE | null, METRICS (means over the
// runs that succeeded; null when none did or the value does not apply), "std": {METRICS}
// (repeats > 1), "runs": [{"seed", "folder", "command": [ARG...], "status", "error",
// METRICS, "files": [FILE SCORE...]}]}]}; "config"."file" is the config's file name.
// SCORES: "new_task_accuracy", "new_task_loss", "retained_accuracy", "retain_loss" (means over
// files; accuracies over the files with prompt/completion pairs) and "files": [{"file",
// "new_task": bool, "examples", "loss", "accuracy"}].
// METRICS: SCORES' four, "forgetting" (the base's retained accuracy minus the method's),
// "retain_loss_increase" (the method's retain loss minus the base's), "trainable_parameters",
// "total_parameters", "trainable_fraction", "peak_rss_bytes" (the child's ru_maxrss),
// "train_seconds", "tokens_per_second" and "steps" (summary.json's: the step loop; LT-SFT's two
// phases together), "wall_seconds" (the child's whole life: loading, initialisation, saving),
// "output_bytes" (the adapter, sparse difference or model folder on disk).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "compare/compare_config.h"

namespace retune::compare {

struct ComparisonOutcome {
  nlohmann::json results;  // compare.json's content
  int failed_methods = 0;
};

// Runs the comparison into `out` (created if missing); `note` hears progress lines. Throws
// retune::Error for what stops every method (a scored file that cannot be read, the base that
// cannot be loaded, an output that cannot be written); a method's failure is in the outcome.
ComparisonOutcome run_comparison(const CompareConfig& config, const std::filesystem::path& out,
                                 const std::function<void(const std::string&)>& note);

}  // namespace retune::compare
