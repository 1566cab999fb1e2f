#include "core/device.h"

#include <fmt/format.h>

#include <charconv>

#include "core/error.h"
#if RETUNE_CUDA
#include "core/cuda/runtime.h"
#endif

namespace retune {

std::string device_name(Device device) {
  return device.is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", device.index);
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  int index = -1;
  const char* digits = text.data() + 5;
  const char* end = text.data() + text.size();
  if (text.size() > 5 && text.starts_with("cuda:")) {
    const auto [stop, error] = std::from_chars(digits, end, index);
    if (error == std::errc() && stop == end && index >= 0) return Device::cuda(index);
  }
  fail("unknown device '{}': expected cpu, cuda or cuda:N", text);
}

bool device_supported([[maybe_unused]] Device device) {
#if RETUNE_CUDA
  return true;
#else
  return device.is_cpu();
#endif
}

int cuda_device_count() {
#if RETUNE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

void activate_device(Device device) {
  RETUNE_CHECK(device_supported(device),
               "{}: this build of retune has no CUDA backend (it was built without nvcc)",
               device_name(device));
#if RETUNE_CUDA
  if (device.kind == DeviceKind::cuda) cuda::use_device(device.index);
#endif
}

void synchronize_device([[maybe_unused]] Device device) {
#if RETUNE_CUDA
  if (device.kind == DeviceKind::cuda) cuda::synchronize();
#endif
}

size_t device_peak_bytes([[maybe_unused]] Device device) {
#if RETUNE_CUDA
  if (device.kind == DeviceKind::cuda) return cuda::peak_bytes_in_use();
#endif
  return 0;
}

}  // namespace retune
