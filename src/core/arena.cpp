#include "core/arena.h"

#include <algorithm>

#include "core/error.h"

namespace retune {

Arena::Arena(size_t capacity_bytes, Device device)
    : buffer_(Storage::allocate(capacity_bytes, device)), capacity_(capacity_bytes) {}

std::shared_ptr<Storage> Arena::carve(size_t nbytes) {
  constexpr size_t kAlignment = 64;
  const size_t start = (used_ + kAlignment - 1) / kAlignment * kAlignment;
  if (start > capacity_ || nbytes > capacity_ - start) {
    fail("arena full: {} bytes requested, {} of {} bytes in use", nbytes, used_, capacity_);
  }
  used_ = start + nbytes;
  high_water_ = std::max(high_water_, used_);
  return Storage::wrap(buffer_->data() + start, nbytes, buffer_->device(), StorageOrigin::arena,
                       true, buffer_);
}

}  // namespace retune
