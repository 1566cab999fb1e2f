// ModelConfig: the architecture and sizes of a Hugging Face causal LM, read from its
// config.json.
//
// Supported architectures: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM (the Llama
// family: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU MLP) and GPT2LMHeadModel
// (LayerNorm, learned positions, multi-head attention, tanh-GELU MLP, biases everywhere).
//
// A GPT-2 config's own names map onto the shared fields: n_embd -> hidden_size, n_inner (null:
// 4 * n_embd) -> intermediate_size, n_layer, n_head (also num_key_value_heads; head_dim is
// n_embd / n_head), n_positions -> max_position_embeddings, layer_norm_epsilon ->
// layer_norm_eps; tie_word_embeddings defaults to true. activation_function must be gelu_new or
// gelu_pytorch_tanh (both the tanh GELU); rope and rms_norm_eps do not apply.
//
// RoPE settings are read in both styles transformers writes: 5.x puts them in
// `rope_parameters: {rope_theta, rope_type, ...}`, 4.x writes a top-level `rope_theta` and
// `rope_scaling: {rope_type (or type), ...}` (null without scaling). rope_type "default" and
// "llama3" are supported; any other is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace retune::model {

enum class Architecture { llama, qwen2, qwen3, gpt2 };

// "LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPT2LMHeadModel".
std::string architecture_name(Architecture architecture);

enum class RopeType { default_, llama3 };

struct RopeConfig {
  RopeType type = RopeType::default_;
  double theta = 10000.0;  // HF's default when the config names none
  // The share of head_dim that rotates (HF's partial_rotary_factor, default 1).
  double partial_rotary_factor = 1.0;
  // llama3 only (HF's _compute_llama3_parameters).
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 1.0;
  int64_t original_max_position_embeddings = 0;
};

struct ModelConfig {
  Architecture architecture = Architecture::llama;
  int64_t hidden_size = 0;        // C
  int64_t intermediate_size = 0;  // F, the MLP's inner width
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;  // Hq
  int64_t num_key_value_heads = 0;  // Hkv (default Hq); divides Hq
  int64_t head_dim = 0;             // D (default C / Hq)
  int64_t vocab_size = 0;           // V
  double rms_norm_eps = 1e-6;
  double layer_norm_eps = 1e-5;         // GPT-2 only (layer_norm_epsilon)
  int64_t max_position_embeddings = 0;  // GPT-2 only: rows of the learned position table
  bool tie_word_embeddings = false;     // lm_head reuses the token embedding table
  bool qkv_bias = false;                // q/k/v have biases (Qwen2, GPT-2 always)
  bool o_bias = false;                  // o_proj has a bias (attention_bias; GPT-2 always)
  bool mlp_bias = false;                // gate/up/down_proj have biases (Llama's mlp_bias)
  bool qk_norm = false;                 // RMSNorm over head_dim on each q and k head (Qwen3)
  RopeConfig rope;

  // The rotated dims per head (R): head_dim * partial_rotary_factor, even (Llama family).
  int64_t rotary_dims() const;
};

// Parses a config.json document; `source` (the file's path) starts every error message. Size
// fields are bounded, far above released models, so that products of sizes stay within int64:
// hidden_size <= 2^16, intermediate_size <= 2^20, vocab_size <= 2^24, positions <= 2^30, layers,
// heads and head_dim <= 4096. A missing required field, a field of the wrong type or range
// (past its bound too), an unsupported architecture (the message lists the supported ones) or
// an unsupported rope_type / activation throws retune::Error naming the field.
ModelConfig parse_model_config(const nlohmann::json& config, const std::string& source);

// Reads and parses `folder`/config.json.
ModelConfig load_model_config(const std::filesystem::path& folder);

// The most tokens a sequence of this model may hold: GPT-2's learned position table
// (max_position_embeddings), or unlimited (int64's largest) for rotary positions.
int64_t position_limit(const ModelConfig& config);

}  // namespace retune::model
