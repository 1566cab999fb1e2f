// TrainData: the rows a training run's trainer takes — the training data alone
// (data/batch_stream.h), or mixed with replayed rows (forgetting.replay: data/replay_mix.h) —
// and the position a checkpoint saves to resume it.
//
// Checkpoint state: Checkpoint::data is the training stream's position; with replay the run
// state also holds "replay_position" {"epoch", "next_row"} and "replay_batches" (micro-batches
// handed out). The replay stream shuffles with seed + 1.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "data/batch_stream.h"
#include "data/replay_mix.h"
#include "data/tokenized_example.h"

namespace retune::train {

class TrainData {
 public:
  // `replay` is used when replay_fraction > 0 (it must then have examples). `start` and
  // `run_state` come from a checkpoint (defaults: the beginning).
  TrainData(std::vector<TokenizedExample> train, std::vector<TokenizedExample> replay,
            const BatchOptions& options, double replay_fraction, DataPosition start,
            const nlohmann::json& run_state);

  BatchSource& source();
  // The training stream's position and its rows per epoch.
  DataPosition position() const;
  int64_t rows_in_epoch() const;
  // Training rows per micro-batch on average: B, or B (1 - p) with replay.
  double train_rows_per_batch() const;
  // Adds the replay state to a checkpoint's run state.
  void save_state(nlohmann::json& run_state) const;

 private:
  double fraction_;
  int64_t batch_size_;
  std::optional<BatchStream> stream_;  // without replay
  std::optional<ReplayMix> mix_;       // with replay
};

}  // namespace retune::train
