// LT-SFT (METHODS.md A9; method lt_sft without sparse.mask): the two phases of composable sparse
// fine-tuning as one run, in the output folder O:
//
//   O/dense/              phase 1: the maskable weights (train/sparse_update.h) fine-tuned
//                         densely for sparse.dense_steps (default training.steps) from θ0
//   O/mask.safetensors    the K entries with the largest |θ1 - θ0| (K = sparse.count, or
//                         sparse.fraction of the maskable entries)
//   O/sparse/             phase 2: from θ0 again, only those entries change, for training.steps;
//                         its sparse_diff/ (θ2 - θ0 at them) is the run's output
//   O/summary.json        both phases' summaries, K and the output
//
// With resume, a phase whose summary.json exists is not run again, and the mask is read back.
#pragma once

#include "train/training_run.h"

namespace retune::train {

TrainSummary run_lt_sft(const TrainConfig& config, bool resume, const RunEvents& events);

}  // namespace retune::train
