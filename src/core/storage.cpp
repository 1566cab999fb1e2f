#include "core/storage.h"

#include <cstdlib>
#include <new>

#include "core/error.h"
#if RETUNE_CUDA
#include "core/cuda/runtime.h"
#endif

namespace retune {

namespace {
constexpr size_t kAlignment = 64;

std::shared_ptr<void> allocate_host(size_t nbytes) {
  RETUNE_CHECK(nbytes <= (size_t{1} << 62), "cannot allocate {} bytes", nbytes);
  const size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  void* memory = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (memory == nullptr) fail("out of memory allocating {} bytes", nbytes);
  return std::shared_ptr<void>(memory, std::free);
}
}  // namespace

Storage::Storage(std::byte* data, size_t nbytes, Device device, StorageOrigin origin, bool writable,
                 std::shared_ptr<const void> keep_alive)
    : data_(data),
      nbytes_(nbytes),
      device_(device),
      origin_(origin),
      writable_(writable),
      keep_alive_(std::move(keep_alive)),
      version_(next_version()) {}

uint64_t Storage::next_version() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  std::shared_ptr<void> memory;
#if RETUNE_CUDA
  if (device.kind == DeviceKind::cuda) {
    memory = std::shared_ptr<void>(cuda::allocate(nbytes, device.index),
                                   [nbytes](void* block) { cuda::release(block, nbytes); });
  }
#endif
  RETUNE_CHECK(device.is_cpu() || memory, "no backend for device {} in this build",
               device_name(device));
  if (device.is_cpu()) memory = allocate_host(nbytes);
  auto* data = static_cast<std::byte*>(memory.get());
  return std::shared_ptr<Storage>(
      new Storage(data, nbytes, device, StorageOrigin::owned, true, std::move(memory)));
}

std::shared_ptr<Storage> Storage::wrap(std::byte* data, size_t nbytes, Device device,
                                       StorageOrigin origin, bool writable,
                                       std::shared_ptr<const void> keep_alive) {
  return std::shared_ptr<Storage>(
      new Storage(data, nbytes, device, origin, writable, std::move(keep_alive)));
}

}  // namespace retune
