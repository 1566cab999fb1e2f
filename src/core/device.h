// Where a tensor's memory lives: the host, or a CUDA GPU (builds with RETUNE_CUDA; see
// core/cuda/runtime.h). Every interface that touches memory takes the device into account (see
// Tensor::to).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace retune {

enum class DeviceKind : uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static Device cpu() { return {DeviceKind::cpu, 0}; }
  static Device cuda(int index = 0) { return {DeviceKind::cuda, index}; }
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool operator==(const Device&) const = default;
};

// "cpu" or "cuda:N".
std::string device_name(Device device);
// Parses "cpu", "cuda" (cuda:0) or "cuda:N"; throws naming the text otherwise. Whether the
// device exists is checked where it is first used (use_device).
Device parse_device(const std::string& text);
// Whether this build has a backend for the device's kind (the CPU always; CUDA with RETUNE_CUDA).
bool device_supported(Device device);
// The number of CUDA GPUs this process can use: 0 without the backend, a driver or a GPU.
int cuda_device_count();
// Makes `device` the one later allocations and kernels use (a CUDA device: the current one of the
// process); throws when this build has no backend for it or the machine no such device.
void activate_device(Device device);
// Waits until the work queued on `device` is done (nothing for the CPU, whose ops return done).
void synchronize_device(Device device);
// The most memory retune's allocations held on `device` so far (0 for the CPU, whose peak is the
// process's RSS).
size_t device_peak_bytes(Device device);

}  // namespace retune
