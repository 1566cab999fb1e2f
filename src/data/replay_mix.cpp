#include "data/replay_mix.h"

#include <cmath>
#include <utility>

#include "core/error.h"

namespace retune {

ReplayMix::ReplayMix(BatchStream train, BatchStream replay, int64_t batch_size, double fraction,
                     int64_t batches_done)
    : train_(std::move(train)),
      replay_(std::move(replay)),
      batch_size_(batch_size),
      length_(train_.row_length()),
      fraction_(fraction),
      batches_done_(batches_done) {
  RETUNE_CHECK(fraction >= 0 && fraction < 1, "the replay fraction must be in [0, 1), got {}",
               fraction);
  RETUNE_CHECK(batch_size >= 1, "batch size must be >= 1, got {}", batch_size);
  RETUNE_CHECK(replay_.row_length() == length_,
               "replay rows of {} tokens cannot be mixed with training rows of {}",
               replay_.row_length(), length_);
}

int64_t ReplayMix::replay_rows(double fraction, int64_t batch_size, int64_t k) {
  // The slack keeps decimal fractions whole where they should be (0.3 * 6 * 5 is 8.999...).
  const double per_batch = fraction * static_cast<double>(batch_size);
  const auto rows_before = [&](int64_t batches) {
    return static_cast<int64_t>(std::floor(static_cast<double>(batches) * per_batch + 1e-9));
  };
  return rows_before(k + 1) - rows_before(k);
}

Batch ReplayMix::next() {
  const int64_t replayed = replay_rows(fraction_, batch_size_, batches_done_++);
  Batch batch = Batch::allocate(batch_size_, length_);
  train_.fill_rows(batch, 0, batch_size_ - replayed);
  replay_.fill_rows(batch, batch_size_ - replayed, replayed);
  return batch;
}

}  // namespace retune
