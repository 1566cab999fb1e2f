// Reservoir: a fixed-size uniform sample of everything offered so far (Vitter's algorithm R), the
// replay buffer of `retune continual`'s replay strategy: after n offers each one is in the buffer
// with probability min(1, capacity / n), whatever task it came from.
//
// Offer i (0-based, over the whole stream) goes to slot i while the buffer is not full; after
// that a draw j uniform in [0, i] from Rng(seed) replaces slot j when j < capacity. Items are JSON
// lines of the tasks' training files, kept as text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"

namespace retune::continual {

class Reservoir {
 public:
  Reservoir(int64_t capacity, uint64_t seed);

  void offer(std::string item);
  const std::vector<std::string>& items() const { return items_; }
  int64_t offered() const { return offered_; }

 private:
  int64_t capacity_;
  Rng rng_;
  int64_t offered_ = 0;
  std::vector<std::string> items_;
};

}  // namespace retune::continual
