#include "core/device.h"

#include <fmt/format.h>

namespace retune {

std::string device_name(Device device) {
  return device.is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", device.index);
}

}  // namespace retune
