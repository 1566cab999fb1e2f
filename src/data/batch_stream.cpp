#include "data/batch_stream.h"

#include <numeric>
#include <span>
#include <utility>

#include "core/error.h"
#include "core/rng.h"

namespace retune {

BatchStream::BatchStream(std::vector<TokenizedExample> examples, const BatchOptions& options,
                         DataPosition start)
    : examples_(std::move(examples)), options_(options) {
  RETUNE_CHECK(!examples_.empty(), "no examples to train on");
  RETUNE_CHECK(options_.batch_size >= 1, "batch size must be >= 1, got {}", options_.batch_size);
  RETUNE_CHECK(start.epoch >= 0, "data position: epoch must be >= 0, got {}", start.epoch);
  start_epoch(start.epoch);
  RETUNE_CHECK(start.next_row >= 0 && start.next_row < rows_in_epoch(),
               "data position: epoch {} has rows 0 to {}, not {} (were the data or the data "
               "options changed?)",
               start.epoch, rows_in_epoch() - 1, start.next_row);
  position_.next_row = start.next_row;
}

void BatchStream::start_epoch(int64_t epoch) {
  position_ = {epoch, 0};
  order_.resize(examples_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  if (options_.shuffle) {
    Rng rng(options_.seed + static_cast<uint64_t>(epoch));
    for (size_t i = order_.size() - 1; i > 0; --i) {
      std::swap(order_[i], order_[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i)))]);
    }
  }
  row_starts_ = plan_rows(examples_, order_, options_.sequences);
}

void BatchStream::write_row_at(Batch& batch, int64_t b, int64_t row) const {
  const int64_t length = options_.sequences.length;
  const auto row_of = [&](const Tensor& tensor) {
    return std::span<int32_t>(tensor.mutable_data<int32_t>() + b * length,
                              static_cast<size_t>(length));
  };
  std::span<const size_t> examples;
  if (row < rows_in_epoch()) {
    const size_t begin = row_starts_[static_cast<size_t>(row)];
    examples = std::span<const size_t>(order_).subspan(
        begin, row_starts_[static_cast<size_t>(row) + 1] - begin);
  }
  batch.tasks.at(static_cast<size_t>(b)) = examples.empty() ? 0 : examples_[examples.front()].task;
  batch.target_tokens += write_row(examples_, examples, options_.sequences,
                                   {row_of(batch.input_ids), row_of(batch.labels),
                                    row_of(batch.doc_ids), row_of(batch.positions)});
}

Batch BatchStream::next() {
  Batch batch = Batch::allocate(options_.batch_size, options_.sequences.length);
  for (int64_t b = 0; b < options_.batch_size; ++b) {
    write_row_at(batch, b, position_.next_row + b);
  }
  position_.next_row += options_.batch_size;
  if (position_.next_row >= rows_in_epoch()) start_epoch(position_.epoch + 1);
  return batch;
}

void BatchStream::fill_rows(Batch& batch, int64_t first, int64_t count) {
  RETUNE_CHECK(batch.input_ids.shape()[1] == options_.sequences.length,
               "a batch of rows of {} tokens cannot take this stream's rows of {}",
               batch.input_ids.shape()[1], options_.sequences.length);
  for (int64_t b = first; b < first + count; ++b) {
    write_row_at(batch, b, position_.next_row);
    if (++position_.next_row >= rows_in_epoch()) start_epoch(position_.epoch + 1);
  }
}

}  // namespace retune
