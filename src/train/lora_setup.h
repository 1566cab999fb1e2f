// The adapter a `retune train` config describes: PEFT's LoraConfig from the lora settings, and
// the calibration batches and options of a computed start (adapters/lora_initialisation.h).
#pragma once

#include <cstdint>
#include <vector>

#include "adapters/lora_config.h"
#include "adapters/lora_initialisation.h"
#include "data/tokenized_example.h"
#include "train/train_config.h"

namespace retune::train {

// The LoRA settings as PEFT's LoraConfig (lora.init "pissa_niter_4" is start pissa, niter 4).
adapters::LoraConfig lora_config(const LoraSettings& settings);

// Whether lora.init computes its start from calibration data (eva, corda, lora_ga).
bool lora_init_calibrates(const LoraSettings& settings);

// The start's options: the calibration batches from the first calibration.rows examples of
// `calibration` (already tokenized: calibration.data's, or the training data's), cut to
// data.seq_len, padded with pad_id; and the method's settings.
adapters::LoraStartOptions lora_start_options(const TrainConfig& config,
                                              const std::vector<TokenizedExample>& calibration,
                                              int32_t pad_id);

}  // namespace retune::train
