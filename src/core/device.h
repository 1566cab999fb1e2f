// Where a tensor's memory lives. Only the CPU exists today; CUDA devices come later and
// every interface that touches memory takes the device into account (see Tensor::to).
#pragma once

#include <cstdint>
#include <string>

namespace retune {

enum class DeviceKind : uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static Device cpu() { return {DeviceKind::cpu, 0}; }
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool operator==(const Device&) const = default;
};

// "cpu" or "cuda:N".
std::string device_name(Device device);

}  // namespace retune
