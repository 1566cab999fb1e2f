#include "train/device_support.h"

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/model_config.h"

namespace retune::train {

void check_device_support(const TrainConfig& config) {
  const Device device = config.training.device;
  if (device.is_cpu()) return;
  const TrainMethod m = config.method;
  RETUNE_CHECK(m == TrainMethod::lora || m == TrainMethod::full || m == TrainMethod::bitfit ||
                   m == TrainMethod::norm,
               "training.device {}: method {} trains on the CPU only so far (lora, full, bitfit "
               "and norm run on the GPU)",
               device_name(device), method_name(config));
  RETUNE_CHECK(model::load_model_config(config.model).architecture != model::Architecture::gpt2,
               "training.device {}: {} is a GPT-2 model, which trains on the CPU only so far (the "
               "Llama family runs on the GPU)",
               device_name(device), config.model.string());
  const std::vector<std::pair<const char*, bool>> cpu_only{
      {"ist.enabled", config.ist.enabled},
      {"sparse.mask", config.sparse.mask.has_value()},
  };
  for (const auto& [key, asked] : cpu_only) {
    RETUNE_CHECK(!asked,
                 "training.device {}: {} runs on the CPU only so far; leave it out or "
                 "train on the CPU",
                 device_name(device), key);
  }
}

}  // namespace retune::train
