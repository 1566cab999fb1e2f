// Arena: one buffer allocated up front and handed out by a bump pointer, for the per-step
// activations whose total size is known before the first step. carve() returns storages
// that keep the buffer alive; reset() rewinds the pointer so the next step reuses the same
// bytes (tensors carved before a reset then alias new ones: the caller owns that ordering).
#pragma once

#include <cstddef>
#include <memory>

#include "core/device.h"
#include "core/storage.h"

namespace retune {

class Arena {
 public:
  Arena(size_t capacity_bytes, Device device);

  // A storage of nbytes, 64-byte aligned. Throws when the arena is full, naming the sizes.
  std::shared_ptr<Storage> carve(size_t nbytes);
  void reset() { used_ = 0; }

  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }
  // The most that was ever in use at once: the size to give the arena next time.
  size_t high_water() const { return high_water_; }

 private:
  std::shared_ptr<Storage> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  size_t high_water_ = 0;
};

}  // namespace retune
