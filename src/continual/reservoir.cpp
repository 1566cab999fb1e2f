#include "continual/reservoir.h"

#include <utility>

#include "core/error.h"

namespace retune::continual {

Reservoir::Reservoir(int64_t capacity, uint64_t seed) : capacity_(capacity), rng_(seed) {
  RETUNE_CHECK(capacity >= 1, "a replay buffer holds at least one example, got {}", capacity);
}

void Reservoir::offer(std::string item) {
  if (offered_ < capacity_) {
    items_.push_back(std::move(item));
  } else {
    const int64_t slot = rng_.integer(0, offered_);
    if (slot < capacity_) items_[static_cast<size_t>(slot)] = std::move(item);
  }
  ++offered_;
}

}  // namespace retune::continual
