#include "model/llama_weights.h"

#include <string>
#include <utility>

#include "model/weight_reader.h"

namespace retune::model {

LlamaWeights load_llama_weights(const std::filesystem::path& folder, const ModelConfig& config) {
  const WeightReader reader(folder);
  const int64_t c = config.hidden_size;
  const int64_t f = config.intermediate_size;
  const int64_t d = config.head_dim;
  const int64_t q_width = config.num_attention_heads * d;
  const int64_t kv_width = config.num_key_value_heads * d;

  LlamaWeights weights;
  weights.embed_tokens = reader.stored("model.embed_tokens.weight", {config.vocab_size, c});
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    const std::string attn = prefix + "self_attn.";
    LlamaLayerWeights layer;
    layer.input_norm = reader.f32(prefix + "input_layernorm.weight", {c});
    layer.q_proj = reader.stored(attn + "q_proj.weight", {q_width, c});
    layer.k_proj = reader.stored(attn + "k_proj.weight", {kv_width, c});
    layer.v_proj = reader.stored(attn + "v_proj.weight", {kv_width, c});
    layer.o_proj = reader.stored(attn + "o_proj.weight", {c, q_width});
    if (config.qkv_bias) {
      layer.q_bias = reader.f32(attn + "q_proj.bias", {q_width});
      layer.k_bias = reader.f32(attn + "k_proj.bias", {kv_width});
      layer.v_bias = reader.f32(attn + "v_proj.bias", {kv_width});
    }
    if (config.o_bias) layer.o_bias = reader.f32(attn + "o_proj.bias", {c});
    if (config.qk_norm) {
      layer.q_norm = reader.f32(attn + "q_norm.weight", {d});
      layer.k_norm = reader.f32(attn + "k_norm.weight", {d});
    }
    layer.post_attention_norm = reader.f32(prefix + "post_attention_layernorm.weight", {c});
    layer.gate_proj = reader.stored(prefix + "mlp.gate_proj.weight", {f, c});
    layer.up_proj = reader.stored(prefix + "mlp.up_proj.weight", {f, c});
    layer.down_proj = reader.stored(prefix + "mlp.down_proj.weight", {c, f});
    if (config.mlp_bias) {
      layer.gate_bias = reader.f32(prefix + "mlp.gate_proj.bias", {f});
      layer.up_bias = reader.f32(prefix + "mlp.up_proj.bias", {f});
      layer.down_bias = reader.f32(prefix + "mlp.down_proj.bias", {c});
    }
    weights.layers.push_back(std::move(layer));
  }
  weights.norm = reader.f32("model.norm.weight", {c});
  weights.lm_head = config.tie_word_embeddings
                        ? weights.embed_tokens
                        : reader.stored("lm_head.weight", {config.vocab_size, c});
  return weights;
}

}  // namespace retune::model
