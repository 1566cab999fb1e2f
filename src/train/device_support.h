// What training runs on a device other than the CPU (training.device: cuda[:N]): the steps of
// LoRA (without DoRA) and of full fine-tuning, with the plain cross-entropy. The features that
// evaluate the model during training (data.eval, data.retain, the forgetting budget), the
// forgetting regularisers, IST, sparse masks and the other methods run on the CPU only so far.
#pragma once

#include "train/train_config.h"

namespace retune::train {

// Throws, naming the first config key that asks for something the device cannot run yet, unless
// config.training.device is the CPU.
void check_device_support(const TrainConfig& config);

}  // namespace retune::train
