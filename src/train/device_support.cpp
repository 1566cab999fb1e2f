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
  RETUNE_CHECK(config.method == TrainMethod::lora || config.method == TrainMethod::full,
               "training.device {}: method {} trains on the CPU only so far (lora and full run "
               "on the GPU)",
               device_name(device), method_name(config));
  RETUNE_CHECK(model::load_model_config(config.model).architecture != model::Architecture::gpt2,
               "training.device {}: {} is a GPT-2 model, which trains on the CPU only so far (the "
               "Llama family runs on the GPU)",
               device_name(device), config.model.string());
  const ForgettingSettings& f = config.forgetting;
  const std::vector<std::pair<const char*, bool>> cpu_only{
      {"data.exact_match", config.data.exact_match},
      {"forgetting.l2sp", f.l2sp > 0},
      {"forgetting.ewc", f.ewc > 0},
      {"forgetting.distill", f.distill > 0},
      {"forgetting.fpf_every", f.fpf_every > 0},
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
