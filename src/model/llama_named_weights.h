// The tensors of a LlamaWeights by their Hugging Face names, for code that handles every
// weight alike (making weights trainable, gradients, saving a fine-tuned model).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "model/llama_weights.h"
#include "model/model_config.h"

namespace retune::model {

// (name, tensor) for every weight the config calls for, in the order of the model:
// "model.embed_tokens.weight", "model.layers.0.input_layernorm.weight", ... "model.norm.weight",
// and "lm_head.weight" unless the embeddings are tied. The pointers point into `weights`.
std::vector<std::pair<std::string, Tensor*>> llama_named_weights(LlamaWeights& weights,
                                                                 const ModelConfig& config);

}  // namespace retune::model
