#include "model/llama_linear.h"

namespace retune::model {

std::string_view llama_linear_path(LlamaLinear linear) {
  switch (linear) {
    case LlamaLinear::q_proj:
      return "self_attn.q_proj";
    case LlamaLinear::k_proj:
      return "self_attn.k_proj";
    case LlamaLinear::v_proj:
      return "self_attn.v_proj";
    case LlamaLinear::o_proj:
      return "self_attn.o_proj";
    case LlamaLinear::gate_proj:
      return "mlp.gate_proj";
    case LlamaLinear::up_proj:
      return "mlp.up_proj";
    case LlamaLinear::down_proj:
      return "mlp.down_proj";
  }
  return "";
}

Tensor& llama_linear_weight(LlamaLayerWeights& layer, LlamaLinear linear) {
  switch (linear) {
    case LlamaLinear::q_proj:
      return layer.q_proj;
    case LlamaLinear::k_proj:
      return layer.k_proj;
    case LlamaLinear::v_proj:
      return layer.v_proj;
    case LlamaLinear::o_proj:
      return layer.o_proj;
    case LlamaLinear::gate_proj:
      return layer.gate_proj;
    case LlamaLinear::up_proj:
      return layer.up_proj;
    case LlamaLinear::down_proj:
      return layer.down_proj;
  }
  return layer.q_proj;
}

const Tensor& llama_linear_bias(const LlamaLayerWeights& layer, LlamaLinear linear) {
  static const Tensor kNone;
  switch (linear) {
    case LlamaLinear::q_proj:
      return layer.q_bias;
    case LlamaLinear::k_proj:
      return layer.k_bias;
    case LlamaLinear::v_proj:
      return layer.v_bias;
    case LlamaLinear::o_proj:
      return layer.o_bias;
    case LlamaLinear::gate_proj:
      return layer.gate_bias;
    case LlamaLinear::up_proj:
      return layer.up_bias;
    case LlamaLinear::down_proj:
      return layer.down_bias;
  }
  return kNone;
}

std::string_view llama_bias_flag(Architecture architecture, LlamaLinear linear) {
  const bool attention = linear == LlamaLinear::q_proj || linear == LlamaLinear::k_proj ||
                         linear == LlamaLinear::v_proj || linear == LlamaLinear::o_proj;
  switch (architecture) {
    case Architecture::llama:
      return attention ? "attention_bias" : "mlp_bias";
    case Architecture::qwen3:
      return attention ? "attention_bias" : "";
    case Architecture::qwen2:  // q/k/v always have a bias, o_proj and the MLP never
    case Architecture::gpt2:
      return "";
  }
  return "";
}

const Tensor& llama_linear_weight(const LlamaLayerWeights& layer, LlamaLinear linear) {
  return llama_linear_weight(const_cast<LlamaLayerWeights&>(layer), linear);
}

}  // namespace retune::model
