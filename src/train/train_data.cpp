#include "train/train_data.h"

#include <utility>

#include "core/error.h"

namespace retune::train {

using nlohmann::json;

TrainData::TrainData(std::vector<TokenizedExample> train, std::vector<TokenizedExample> replay,
                     const BatchOptions& options, double replay_fraction, DataPosition start,
                     const json& run_state)
    : fraction_(replay_fraction), batch_size_(options.batch_size) {
  if (replay_fraction <= 0) {
    stream_.emplace(std::move(train), options, start);
    return;
  }
  RETUNE_CHECK(!replay.empty(), "forgetting.replay: the replay files have no examples");
  BatchOptions rows = options;
  rows.batch_size = 1;
  BatchOptions replay_rows = rows;
  replay_rows.seed = options.seed + 1;
  DataPosition replay_start;
  int64_t batches_done = 0;
  if (run_state.contains("replay_position")) {
    replay_start = {run_state.at("replay_position").at("epoch").get<int64_t>(),
                    run_state.at("replay_position").at("next_row").get<int64_t>()};
    batches_done = run_state.at("replay_batches").get<int64_t>();
  }
  mix_.emplace(BatchStream(std::move(train), rows, start),
               BatchStream(std::move(replay), replay_rows, replay_start), options.batch_size,
               replay_fraction, batches_done);
}

BatchSource& TrainData::source() {
  if (mix_) return *mix_;
  return *stream_;
}

DataPosition TrainData::position() const {
  return mix_ ? mix_->train().position() : stream_->position();
}

int64_t TrainData::rows_in_epoch() const {
  return mix_ ? mix_->train().rows_in_epoch() : stream_->rows_in_epoch();
}

double TrainData::train_rows_per_batch() const {
  return static_cast<double>(batch_size_) * (1.0 - fraction_);
}

void TrainData::save_state(json& run_state) const {
  if (!mix_) return;
  const DataPosition replay = mix_->replay().position();
  run_state["replay_position"] = {{"epoch", replay.epoch}, {"next_row", replay.next_row}};
  run_state["replay_batches"] = mix_->batches_done();
}

}  // namespace retune::train
