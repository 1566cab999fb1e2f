// Storage: a contiguous block of bytes on one device that tensors view.
//
// Three origins, one type:
//   owned  - allocated for this storage (64-byte aligned), freed with it;
//   arena  - carved from an Arena; the arena's buffer outlives every carved storage because
//            the storage holds a reference to it (Arena::reset only rewinds the bump pointer);
//   mapped - a read-only region of an mmapped file (zero-copy); keeps the mapping alive.
// Storages are shared by tensors through std::shared_ptr; a Storage is never copied.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace retune {

enum class StorageOrigin : uint8_t { owned, arena, mapped };

class Storage {
 public:
  // Allocates nbytes (uninitialised) on the device.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device);
  // Wraps memory owned by `keep_alive` (an arena buffer or a file mapping).
  static std::shared_ptr<Storage> wrap(std::byte* data, size_t nbytes, Device device,
                                       StorageOrigin origin, bool writable,
                                       std::shared_ptr<const void> keep_alive);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  StorageOrigin origin() const { return origin_; }
  bool writable() const { return writable_; }

  // A number that changes whenever the bytes may have changed: unique among all storages of the
  // process and all their writes (a storage's first at creation, a new one at each
  // mark_written). Tensor calls mark_written wherever it hands out a pointer to write through
  // or writes itself, so equal versions of a storage mean equal bytes: ops may keep what they
  // derived from the bytes (the GPU's bf16 copies of product operands) under this key.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void mark_written() { version_.store(next_version(), std::memory_order_relaxed); }

 private:
  Storage(std::byte* data, size_t nbytes, Device device, StorageOrigin origin, bool writable,
          std::shared_ptr<const void> keep_alive);

  std::byte* data_;
  size_t nbytes_;
  Device device_;
  StorageOrigin origin_;
  bool writable_;
  std::shared_ptr<const void> keep_alive_;  // owns the bytes
  std::atomic<uint64_t> version_;

  static uint64_t next_version();
};

}  // namespace retune
