// Where a tensor's memory lives: the host, or a CUDA GPU (builds with RETUNE_CUDA; see
// core/cuda/runtime.h). Every interface that touches memory takes the device into account (see
// Tensor::to).
#pragma once

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

}  // namespace retune
