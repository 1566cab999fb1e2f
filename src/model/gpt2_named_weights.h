// The tensors of a Gpt2Weights by their Hugging Face names (GPT2LMHeadModel's), for code that
// handles every weight alike (making weights trainable, gradients, saving a fine-tuned model).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "model/gpt2_weights.h"
#include "model/model_config.h"

namespace retune::model {

// (name, tensor) for every weight, in the order of the model: "transformer.wte.weight",
// "transformer.wpe.weight", "transformer.h.0.ln_1.weight", ... "transformer.ln_f.bias", and
// "lm_head.weight" unless the embeddings are tied. The pointers point into `weights`.
std::vector<std::pair<std::string, Tensor*>> gpt2_named_weights(Gpt2Weights& weights,
                                                                const ModelConfig& config);

}  // namespace retune::model
