// BatchSource: what the trainer takes micro-batches from — one stream of training data
// (data/batch_stream.h) or a mix of streams (data/replay_mix.h).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace retune {

// One batch, owned tensors, each i32 [B, T] laid out as data/packing.h describes.
struct Batch {
  Tensor input_ids;
  Tensor labels;
  Tensor doc_ids;
  Tensor positions;
  int64_t target_tokens = 0;   // labels that are not -100
  std::vector<int32_t> tasks;  // [B]: each row's task (its first example's; 0 for padding only)

  // Uninitialised [rows, length] tensors, no target tokens yet.
  static Batch allocate(int64_t rows, int64_t length);
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Batch next() = 0;
};

}  // namespace retune
