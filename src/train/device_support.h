// What training runs on a device other than the CPU (training.device: cuda[:N]): the steps of
// LoRA and DoRA, full fine-tuning, BitFit and norm tuning of Llama-family models (not GPT-2), the
// forgetting controls (replay, L2-SP, EWC and its Fisher, self-distillation, FPF phases) and the
// evaluations during training (data.eval, data.retain and the forgetting budget), on the same
// device, the exact match of greedy completions (data.exact_match: generation) included. IST,
// sparse masks and the other methods run on the CPU only so far.
#pragma once

#include "train/train_config.h"

namespace retune::train {

// Throws, naming the first config key (or the model) that asks for something the device cannot
// run yet, unless config.training.device is the CPU. Reads the model's config.json.
void check_device_support(const TrainConfig& config);

}  // namespace retune::train
