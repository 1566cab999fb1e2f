// CompareConfig: what `retune compare CONFIG.yaml` reads — a training config (every key of
// train/train_config.h: the base every method shares: model, data.train, training.steps,
// training.lr, training.seed, ...) plus a `compare` group:
//
//   compare:
//     new_task: data/sort-test.jsonl   # a file or a list: what the methods are trained for,
//                                      # scored after training (required)
//     retain: [data/copy-test.jsonl]   # a file or a list: what they should keep, scored on the
//                                      # base and after training (default none)
//     repeats: 1                       # runs per method, with seeds training.seed, +1, ...
//                                      # (default 1)
//     methods:                         # at least one, run in this order
//       - name: lora                   # unique; letters, digits and . _ + - (its folder's name)
//       - name: dora
//         set: {lora.use_dora: true}   # training config keys over the base (default none)
//
// A method's settings are the base's with its `set` applied on top, after the command line's
// --set (which changes the base). A key in `set` is dotted ("lora.r") or a group with a map
// (`lora: {r: 4}`, which sets only the keys it names); values are YAML, as in the file. The
// data files scored come from the group, so every method is measured on the same files whatever
// it trains on; model, tokenizer and output belong to the comparison and a method may not set
// them.
//
// Paths: every relative path, in the file, in a method's `set` and in --set, is relative to the
// config file's folder (each method runs there; base_overrides carries the file's own keys).
//
// Errors (retune::Error) name the file, line and key: "<file>:<line>: unknown key
// \"compare.metods\"; the keys are ...", "<file>:<line>: compare.methods[2] has no name",
// "<file>:<line>: method name \"lora\" is used twice", "<file>:<line>: compare.methods[1]
// \"dora\": lora.use_dorra: unknown key; did you mean lora.use_dora?".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace retune::compare {

struct CompareMethod {
  std::string name;
  std::vector<std::string> set;  // "key=value" overrides, the value as flow YAML
  train::TrainConfig train;      // the base's settings with `set` applied
};

struct CompareConfig {
  std::filesystem::path file;  // absolute
  train::TrainConfig base;     // the file's training keys, then the command line's --set
  // What every method's run starts from: the file's training keys as "key=value" overrides (one
  // per top-level key but `compare`), then the command line's --set.
  std::vector<std::string> base_overrides;
  std::vector<CompareMethod> methods;
  std::vector<std::filesystem::path> new_task;  // absolute
  std::vector<std::filesystem::path> retain;    // absolute
  int64_t repeats = 1;
};

// Reads the file, checks every method's settings as `retune train` would, and resolves the
// base's model, tokenizer and output against the file's folder.
CompareConfig load_compare_config(const std::filesystem::path& file,
                                  const std::vector<std::string>& overrides);

// The `retune train --set` overrides of one run of `method`: base_overrides, the method's set,
// output=`output`, and training.seed=`seed` (the method's seed plus `repeat`) when the config
// repeats runs.
std::vector<std::string> run_overrides(const CompareConfig& config, const CompareMethod& method,
                                       const std::filesystem::path& output, int64_t repeat);

// The seed of run `repeat` of `method`.
uint64_t run_seed(const CompareMethod& method, int64_t repeat);

}  // namespace retune::compare
