// ReplayMix: batches of which a fraction p of the rows come from replay data (what the model
// should keep knowing: pre-training text, earlier tasks) and the rest from the new training
// data — METHODS.md B1's replay, where "a fraction p of every batch comes from D0" and the
// replayed rows count toward the same budget of rows per batch.
//
// Micro-batch k (0-based, over the whole run) of B rows takes
//   r_k = floor((k + 1) * p * B) - floor(k * p * B)
// rows from the replay stream (the last r_k rows of the batch) and B - r_k from the training
// stream, so that after any number of batches the replayed share of rows is p to within one row,
// also when p * B is not a whole number (p = 0.05, B = 4: one replayed row every fifth batch).
// Both streams continue row by row across their epochs (BatchStream::fill_rows). The mix is
// resumable: streams built at their saved positions and the count of batches handed out give
// the batches an uninterrupted run would have had.
#pragma once

#include <cstdint>

#include "data/batch_stream.h"

namespace retune {

class ReplayMix final : public BatchSource {
 public:
  // `fraction` p in [0, 1); both streams' rows have the same length. `batches_done`: the
  // micro-batches a resumed run already took.
  ReplayMix(BatchStream train, BatchStream replay, int64_t batch_size, double fraction,
            int64_t batches_done = 0);

  Batch next() override;

  // The replay rows of micro-batch k (r_k above).
  static int64_t replay_rows(double fraction, int64_t batch_size, int64_t k);

  const BatchStream& train() const { return train_; }
  const BatchStream& replay() const { return replay_; }
  int64_t batches_done() const { return batches_done_; }

 private:
  BatchStream train_;
  BatchStream replay_;
  int64_t batch_size_;
  int64_t length_;
  double fraction_;
  int64_t batches_done_;
};

}  // namespace retune
