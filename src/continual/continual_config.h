// ContinualConfig: what `retune continual CONFIG.yaml` reads — a training config (every key of
// train/train_config.h: model, output, method, lora, training, schedule, ... applied to each
// task) plus a `continual` group:
//
//   continual:
//     tasks:                    # in training order, at least one
//       - name: reverse         # a label (default: the train file's name without extension)
//         train: data/reverse-train.jsonl
//         test: data/reverse-test.jsonl     # prompt/completion examples, scored by exact match
//     strategy: sequential      # sequential | replay | kfpf | adapter_per_task (default
//                               # sequential)
//     merge: none               # adapter_per_task: none | mean (default none)
//     buffer_size: 256          # replay: examples the reservoir keeps (default 256)
//     replay_fraction: 0.25     # replay: share of each batch's rows from the buffer, (0, 1)
//     eval_every: 10            # every task's accuracy every N steps of each task (default 0:
//                               # at the start and end of each task only)
//
// Paths are relative to the file's folder. data.train, data.eval and data.retain come from the
// tasks (the training config must not set them). Each run's data.retain is every task's test
// file, so EWC and self-distillation need their own files (ewc_data, distill_data: the
// training config refuses them without, as it has no data.retain); replay's and k-FPF's come
// from the reservoir, and forgetting.fpf_every is for strategy kfpf only. An unknown key, a wrong
// type or range, or a task without train or test is an Error naming the file and line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace retune::continual {

struct ContinualTask {
  std::string name;
  std::filesystem::path train;
  std::filesystem::path test;
};

enum class Strategy {
  sequential,        // one model (or one adapter) trained on each task in turn
  replay,            // sequential, each batch mixing in rows of a reservoir of earlier tasks
  kfpf,              // sequential, with k-FPF phases (forgetting.fpf_*) on that reservoir
  adapter_per_task,  // a new adapter on the base model for each task
};

enum class AdapterMerge {
  none,  // task j is evaluated with its own adapter (the base before it is trained)
  mean,  // every task with the mean of the adapters trained so far (ΔW averaged)
};

struct ContinualConfig {
  train::TrainConfig train;  // the settings of each task's run
  std::vector<ContinualTask> tasks;
  Strategy strategy = Strategy::sequential;
  AdapterMerge merge = AdapterMerge::none;
  int64_t buffer_size = 256;
  double replay_fraction = 0.25;
  int64_t eval_every = 0;
};

ContinualConfig load_continual_config(const std::filesystem::path& file,
                                      const std::vector<std::string>& overrides);

std::string strategy_name(Strategy strategy);

}  // namespace retune::continual
