// The weights of a model made from scratch, named and shaped as the Hugging Face checkpoint of
// the architecture has them (what model/llama_weights.h and model/gpt2_weights.h load) and drawn
// as transformers' _init_weights draws them:
//
//   linear / Conv1D weights, embeddings, lm_head   normal(0, initializer_range)
//   GPT-2's attn.c_proj and mlp.c_proj weights      normal(0, initializer_range / sqrt(2 * layers))
//   biases (Qwen2's q/k/v, GPT-2's everywhere)      0
//   norm weights (RMSNorm, LayerNorm)               1, LayerNorm biases 0
//   the Llama family's embedding row of pad_id      0 (nn.Embedding's padding_idx)
//
// A tied model has no lm_head.weight (the embedding table is the head). Each tensor is drawn from
// its own stream, seeded by the seed and the tensor's name, so the same seed gives the same file
// and a tensor's values do not depend on the other tensors' sizes. Values are f32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "io/safetensors_writer.h"
#include "pretrain/model_spec.h"

namespace retune::pretrain {

// How one tensor starts: normal(0, std) (with an optional row set to 0), all zeros or all ones.
struct WeightInit {
  enum class Kind { normal, zeros, ones };
  std::string name;
  Shape shape;
  Kind kind = Kind::normal;
  double std = 0;
  std::optional<int64_t> zero_row;
};

// Every tensor of the checkpoint, in the order the model's named weights list them.
std::vector<WeightInit> weight_inits(const ModelSpec& spec);

// The number of parameters (a tied head counted once).
int64_t parameter_count(const ModelSpec& spec);

// The drawn tensors (spec must be valid: validate_model_spec).
NamedTensors initial_weights(const ModelSpec& spec, uint64_t seed);

}  // namespace retune::pretrain
