// The RoPE inverse frequencies of a model, as Hugging Face's rope initialisation functions
// compute them (in f32, operation by operation, so they match transformers bit for bit).
#pragma once

#include "core/tensor.h"
#include "model/model_config.h"

namespace retune::model {

// A new CPU f32 tensor [R/2], R = config.rotary_dims(): the default frequencies
// 1 / theta^(2i / R), then for rope_type llama3 HF's _compute_llama3_parameters:
//   wavelen = 2 pi / inv_freq
//   low-frequency band  (wavelen > original_max / low_freq_factor):  inv_freq / factor
//   high-frequency band (wavelen < original_max / high_freq_factor): inv_freq
//   between: (1 - s) * inv_freq / factor + s * inv_freq,
//            s = (original_max / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
Tensor rope_frequencies(const ModelConfig& config);

}  // namespace retune::model
