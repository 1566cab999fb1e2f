// BatchStream: the training data as a deterministic stream of batches over epochs, resumable
// from a saved position.
//
// Each epoch takes every example once: in file order, or, with shuffle, in the order a
// Fisher–Yates shuffle with Rng(seed + epoch) gives (a different order each epoch, the same on
// every run). The examples are then laid out in rows (packing.h) and the rows handed out B at a
// time. A batch never spans two epochs: the last batch of an epoch is filled up with rows of
// padding only (all labels -100). Nothing depends on the thread count.
//
// position() is where the next batch starts; a stream constructed with it (and the same
// examples and options) hands out exactly the batches this one would have.
//
// fill_rows is the other way to take rows, for a batch made of several streams (a replay mix,
// data/replay_mix.h): the next rows in order, continuing into the next epoch at the end of one
// instead of padding.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "data/batch_source.h"
#include "data/packing.h"
#include "data/tokenized_example.h"

namespace retune {

struct DataPosition {
  int64_t epoch = 0;
  int64_t next_row = 0;  // within the epoch's rows

  bool operator==(const DataPosition&) const = default;
};

struct BatchOptions {
  int64_t batch_size = 1;  // B
  SequenceOptions sequences;
  bool shuffle = true;
  uint64_t seed = 0;
};

class BatchStream final : public BatchSource {
 public:
  // Throws an Error for no examples, a batch size < 1, a sequence length < 2, or a start that
  // is not a row of its epoch.
  BatchStream(std::vector<TokenizedExample> examples, const BatchOptions& options,
              DataPosition start = {});

  Batch next() override;
  // Writes the next `count` rows into rows [first, first + count) of `batch` (its tensors [B, T]
  // allocated by the caller, T this stream's length) and adds their target tokens to it.
  void fill_rows(Batch& batch, int64_t first, int64_t count);
  DataPosition position() const { return position_; }
  // The rows of the current epoch (they depend on its order when packing).
  int64_t rows_in_epoch() const { return static_cast<int64_t>(row_starts_.size()) - 1; }
  int64_t row_length() const { return options_.sequences.length; }  // T

 private:
  void start_epoch(int64_t epoch);
  // Writes row `row` of the current epoch (padding only past its end) into row b of `batch`.
  void write_row_at(Batch& batch, int64_t b, int64_t row) const;

  std::vector<TokenizedExample> examples_;
  BatchOptions options_;
  DataPosition position_;
  std::vector<size_t> order_;       // example indices of the current epoch, in order
  std::vector<size_t> row_starts_;  // plan_rows(examples_, order_)
};

}  // namespace retune
