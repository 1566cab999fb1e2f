#include "train/device_support.h"

#include "core/error.h"

namespace retune::train {

void check_device_support(const TrainConfig& config) {
  const Device device = config.training.device;
  if (device.is_cpu()) return;
  const TrainMethod m = config.method;
  RETUNE_CHECK(m == TrainMethod::lora || m == TrainMethod::full || m == TrainMethod::bitfit ||
                   m == TrainMethod::norm || m == TrainMethod::lt_sft,
               "training.device {}: method {} trains on the CPU only so far (lora, full, bitfit, "
               "norm and lt_sft run on the GPU)",
               device_name(device), method_name(config));
}

}  // namespace retune::train
