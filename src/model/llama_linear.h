// The linear layers of a Llama-family decoder layer, by their Hugging Face module names, for
// code that addresses them one by one (adapters, per-module gradients).
#pragma once

#include <array>
#include <string_view>

#include "core/tensor.h"
#include "model/llama_weights.h"
#include "model/model_config.h"

namespace retune::model {

enum class LlamaLinear { q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj };

inline constexpr std::array<LlamaLinear, 7> kLlamaLinears = {
    LlamaLinear::q_proj,    LlamaLinear::k_proj,  LlamaLinear::v_proj,   LlamaLinear::o_proj,
    LlamaLinear::gate_proj, LlamaLinear::up_proj, LlamaLinear::down_proj};

// The module's path inside a layer: "self_attn.q_proj", "mlp.down_proj".
std::string_view llama_linear_path(LlamaLinear linear);

// The layer's weight [O, I] of a linear (mutable: a trainer may replace it by an owned copy).
Tensor& llama_linear_weight(LlamaLayerWeights& layer, LlamaLinear linear);
const Tensor& llama_linear_weight(const LlamaLayerWeights& layer, LlamaLinear linear);
// Its bias [O]; undefined when the config has none (attention_bias, mlp_bias).
const Tensor& llama_linear_bias(const LlamaLayerWeights& layer, LlamaLinear linear);
// The config.json flag that gives the linear a bias in `architecture` ("attention_bias",
// "mlp_bias"), or "" where none does (model/linear_site.h's bias_flag).
std::string_view llama_bias_flag(Architecture architecture, LlamaLinear linear);

}  // namespace retune::model
