#include "core/cuda/runtime.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace retune::cuda {
namespace {

// Blocks under 1 MiB are rounded up to 512 bytes, larger ones to 2 MiB, so that the cache's
// sizes repeat from step to step.
size_t rounded_size(size_t nbytes) {
  constexpr size_t kSmall = 512;
  constexpr size_t kLarge = size_t{2} << 20;
  const size_t unit = nbytes < (size_t{1} << 20) ? kSmall : kLarge;
  return std::max(unit, (nbytes + unit - 1) / unit * unit);
}

struct DeviceState {
  cudaStream_t stream = nullptr;
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  size_t in_use = 0;
  size_t peak = 0;
  size_t cached = 0;
};

struct Runtime {
  std::mutex mutex;
  int current = 0;
  std::map<int, DeviceState> devices;

  DeviceState& state() { return devices[current]; }
};

Runtime& runtime() {
  static Runtime* instance = new Runtime;  // never destroyed: blocks may outlive static objects
  return *instance;
}

// Returns every cached block of the current device to the driver (after its work is done).
void empty_cache(DeviceState& state) {
  if (state.stream) check(cudaStreamSynchronize(state.stream), "synchronising before freeing");
  for (const auto& [size, block] : state.free_blocks) cudaFree(block);
  state.free_blocks.clear();
  state.cached = 0;
}

}  // namespace

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clears a sticky-free error so that later calls can report their own
  fail("CUDA error in {}: {} ({})", what, cudaGetErrorString(status), cudaGetErrorName(status));
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

void use_device(int index) {
  const int count = device_count();
  RETUNE_CHECK(index >= 0 && index < count, "cuda:{} does not exist: this machine has {} CUDA {}",
               index, count, count == 1 ? "device" : "devices");
  check(cudaSetDevice(index), "selecting the device");
  const std::lock_guard lock(runtime().mutex);
  runtime().current = index;
}

int current_device() {
  const std::lock_guard lock(runtime().mutex);
  return runtime().current;
}

cudaStream_t stream() {
  Runtime& rt = runtime();
  const std::lock_guard lock(rt.mutex);
  DeviceState& state = rt.state();
  if (!state.stream) {
    check(cudaSetDevice(rt.current), "selecting the device");
    check(cudaStreamCreateWithFlags(&state.stream, cudaStreamNonBlocking), "creating a stream");
  }
  return state.stream;
}

void synchronize() {
  check(cudaStreamSynchronize(stream()), "synchronising the stream");
}

void* allocate(size_t nbytes, int device) {
  const size_t size = rounded_size(nbytes);
  Runtime& rt = runtime();
  const std::lock_guard lock(rt.mutex);
  if (device != rt.current) {
    const int count = device_count();
    RETUNE_CHECK(device < count, "cuda:{} does not exist: this machine has {} CUDA {}", device,
                 count, count == 1 ? "device" : "devices");
    fail("cuda:{} is not the current device (cuda:{}); retune uses one GPU per process", device,
         rt.current);
  }
  DeviceState& state = rt.state();
  void* block = nullptr;
  if (const auto it = state.free_blocks.find(size); it != state.free_blocks.end()) {
    block = it->second;
    state.free_blocks.erase(it);
    state.cached -= size;
  } else if (cudaMalloc(&block, size) != cudaSuccess) {
    cudaGetLastError();
    empty_cache(state);
    if (cudaMalloc(&block, size) != cudaSuccess) {
      cudaGetLastError();
      RETUNE_CHECK(device_count() > 0, "cuda:{} does not exist: this machine has no CUDA device",
                   device);
      size_t free_bytes = 0, total = 0;
      cudaMemGetInfo(&free_bytes, &total);
      fail("out of GPU memory on cuda:{}: {} bytes asked for, {} in use by retune, {} free of {}",
           rt.current, size, state.in_use, free_bytes, total);
    }
  }
  state.in_use += size;
  state.peak = std::max(state.peak, state.in_use);
  return block;
}

void release(void* block, size_t nbytes) {
  const size_t size = rounded_size(nbytes);
  Runtime& rt = runtime();
  const std::lock_guard lock(rt.mutex);
  DeviceState& state = rt.state();
  state.in_use -= size;
  state.free_blocks.emplace(size, block);
  state.cached += size;
}

size_t bytes_in_use() {
  const std::lock_guard lock(runtime().mutex);
  return runtime().state().in_use;
}

size_t peak_bytes_in_use() {
  const std::lock_guard lock(runtime().mutex);
  return runtime().state().peak;
}

void reset_peak() {
  const std::lock_guard lock(runtime().mutex);
  DeviceState& state = runtime().state();
  state.peak = state.in_use;
}

void copy_bytes(void* target, Device target_device, const void* source, Device source_device,
                size_t nbytes) {
  if (nbytes == 0) return;
  const cudaMemcpyKind kind =
      target_device.is_cpu()
          ? cudaMemcpyDeviceToHost
          : (source_device.is_cpu() ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToDevice);
  check(cudaMemcpyAsync(target, source, nbytes, kind, stream()), "copying between devices");
  // Pageable host memory: the copy to the host must have landed before the caller reads it,
  // and the host source of a copy to the device must not change before it was read.
  if (kind != cudaMemcpyDeviceToDevice) synchronize();
}

void copy_pitched(void* target, size_t target_pitch, Device target_device, const void* source,
                  size_t source_pitch, Device source_device, size_t run_bytes, size_t rows) {
  if (run_bytes == 0 || rows == 0) return;
  const cudaMemcpyKind kind =
      target_device.is_cpu()
          ? cudaMemcpyDeviceToHost
          : (source_device.is_cpu() ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToDevice);
  check(cudaMemcpy2DAsync(target, target_pitch, source, source_pitch, run_bytes, rows, kind,
                          stream()),
        "copying between devices (pitched)");
  if (kind != cudaMemcpyDeviceToDevice) synchronize();  // as copy_bytes
}

void zero_bytes(void* target, size_t nbytes) {
  if (nbytes == 0) return;
  check(cudaMemsetAsync(target, 0, nbytes, stream()), "zeroing device memory");
}

}  // namespace retune::cuda
