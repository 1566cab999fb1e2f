// ModelSpec: the architecture and sizes of a model made from scratch, and its config.json and
// generation_config.json as transformers (5.x) writes them for that architecture.
//
// config.json has every field PretrainedConfig.save_pretrained writes for LlamaConfig,
// Qwen2Config, Qwen3Config or GPT2Config with these sizes (defaults for the rest: rms_norm_eps
// 1e-6, layer_norm_epsilon 1e-5, initializer_range 0.02, GPT-2's dropouts 0.1, rope_parameters
// {rope_theta, rope_type "default"}), "dtype": "float32", and the bos / eos / pad token ids;
// only "transformers_version" is left out (no transformers wrote it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "model/model_config.h"

namespace retune::pretrain {

struct ModelSpec {
  model::Architecture architecture = model::Architecture::llama;
  int64_t hidden = 64;         // C (GPT-2's n_embd)
  int64_t intermediate = 256;  // F, the MLP's inner width (GPT-2's n_inner)
  int64_t layers = 2;
  int64_t heads = 4;            // Hq; divides hidden
  int64_t kv_heads = 4;         // Hkv; divides heads (GPT-2: equals heads)
  int64_t max_positions = 256;  // max_position_embeddings (GPT-2: n_positions, its wpe rows)
  int64_t vocab = 0;            // V, from the tokenizer
  bool tie_word_embeddings = true;
  double rope_theta = 10000.0;  // Llama family only
  int32_t bos_id = 0;
  int32_t eos_id = 0;
  std::optional<int32_t> pad_id;
  double initializer_range = 0.02;

  int64_t head_dim() const { return hidden / heads; }
};

// "llama", "qwen2", "qwen3", "gpt2"; an Error listing them for anything else.
model::Architecture parse_architecture_option(std::string_view name);

// Throws an Error naming the field for a size below 1, heads not dividing hidden, kv_heads not
// dividing heads (GPT-2: not equal to heads), an odd head_dim in the Llama family (RoPE rotates
// pairs), rope_theta not positive, or a token id outside the vocabulary.
void validate_model_spec(const ModelSpec& spec);

// config.json (keys sorted, as save_pretrained writes them).
nlohmann::json hf_config_json(const ModelSpec& spec);
// generation_config.json as GenerationConfig.from_model_config writes it: the token ids.
nlohmann::json hf_generation_config_json(const ModelSpec& spec);

}  // namespace retune::pretrain
