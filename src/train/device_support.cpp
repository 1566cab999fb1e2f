#include "train/device_support.h"

#include "core/error.h"

namespace retune::train {

void check_device_support(const TrainConfig& config) {
  const Device device = config.training.device;
  if (device.is_cpu()) return;
  RETUNE_CHECK(config.method != TrainMethod::poly,
               "training.device {}: method {} trains on the CPU only so far (every other method "
               "runs on the GPU)",
               device_name(device), method_name(config));
}

}  // namespace retune::train
