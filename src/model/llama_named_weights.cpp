#include "model/llama_named_weights.h"

#include "model/llama_linear.h"

namespace retune::model {

std::vector<std::pair<std::string, Tensor*>> llama_named_weights(LlamaWeights& weights,
                                                                 const ModelConfig& config) {
  std::vector<std::pair<std::string, Tensor*>> named = {
      {"model.embed_tokens.weight", &weights.embed_tokens}};
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    LlamaLayerWeights& layer = weights.layers[i];
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    named.emplace_back(prefix + "input_layernorm.weight", &layer.input_norm);
    for (const LlamaLinear linear : kLlamaLinears) {
      named.emplace_back(prefix + std::string(llama_linear_path(linear)) + ".weight",
                         &llama_linear_weight(layer, linear));
    }
    const std::pair<const char*, Tensor*> biases[] = {
        {"self_attn.q_proj.bias", &layer.q_bias}, {"self_attn.k_proj.bias", &layer.k_bias},
        {"self_attn.v_proj.bias", &layer.v_bias}, {"self_attn.o_proj.bias", &layer.o_bias},
        {"mlp.gate_proj.bias", &layer.gate_bias}, {"mlp.up_proj.bias", &layer.up_bias},
        {"mlp.down_proj.bias", &layer.down_bias}};
    for (const auto& [name, bias] : biases) {
      if (bias->defined()) named.emplace_back(prefix + name, bias);
    }
    if (config.qk_norm) {
      named.emplace_back(prefix + "self_attn.q_norm.weight", &layer.q_norm);
      named.emplace_back(prefix + "self_attn.k_norm.weight", &layer.k_norm);
    }
    named.emplace_back(prefix + "post_attention_layernorm.weight", &layer.post_attention_norm);
  }
  named.emplace_back("model.norm.weight", &weights.norm);
  if (!config.tie_word_embeddings) named.emplace_back("lm_head.weight", &weights.lm_head);
  return named;
}

}  // namespace retune::model
