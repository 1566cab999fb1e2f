// What training runs on a device other than the CPU (training.device: cuda[:N]): the steps of
// LoRA and DoRA (IST around them too), (IA)³, SSF, full fine-tuning (on a sparse mask too),
// BitFit, norm tuning, LT-SFT and S2FT of every supported model (the Llama family and GPT-2; S2FT
// takes the Llama family only), the forgetting controls (replay, L2-SP, EWC and its Fisher,
// self-distillation, FPF phases) and the evaluations during training (data.eval, data.retain and
// the forgetting budget, the exact match of greedy completions), on the same device. Poly runs on
// the CPU only so far.
#pragma once

#include "train/train_config.h"

namespace retune::train {

// Throws, naming the method that the device cannot run yet, unless config.training.device is the
// CPU.
void check_device_support(const TrainConfig& config);

}  // namespace retune::train
