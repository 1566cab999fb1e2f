// LlamaWeights: the parameters of a Llama-family model (LlamaForCausalLM, Qwen2ForCausalLM,
// Qwen3ForCausalLM), found by their Hugging Face names and checked against the shapes the
// config implies.
//
// Ownership: the embedding table and every matmul weight (the projections and lm_head) are
// zero-copy views of the mmapped file in the file's dtype (f32, bf16 or f16; the embedding op and
// the matmul read all three, converting 16-bit blocks as they go), so a bf16 model takes its file
// size in memory. The norm weights and biases, which feed f32-only kernels, are mmapped views in
// an f32 file and owned f32 copies of a bf16/f16 one. The tensors keep the file mapping alive on
// their own.
#pragma once

#include <filesystem>
#include <vector>

#include "core/tensor.h"
#include "model/model_config.h"

namespace retune::model {

// Shapes: C hidden, F intermediate, Hq / Hkv heads, D head dim, V vocab. The matrices are in the
// file's dtype, the vectors (norms, biases) f32.
struct LlamaLayerWeights {
  Tensor input_norm;           // [C]        model.layers.{i}.input_layernorm.weight
  Tensor q_proj;               // [Hq*D, C]  model.layers.{i}.self_attn.q_proj.weight
  Tensor k_proj;               // [Hkv*D, C]
  Tensor v_proj;               // [Hkv*D, C]
  Tensor o_proj;               // [C, Hq*D]
  Tensor q_bias;               // [Hq*D]     q_proj.bias, undefined unless config.qkv_bias
  Tensor k_bias;               // [Hkv*D]
  Tensor v_bias;               // [Hkv*D]
  Tensor o_bias;               // [C]        o_proj.bias, undefined unless config.o_bias
  Tensor q_norm;               // [D]        self_attn.q_norm.weight, undefined unless qk_norm
  Tensor k_norm;               // [D]
  Tensor post_attention_norm;  // [C]        post_attention_layernorm.weight
  Tensor gate_proj;            // [F, C]     mlp.gate_proj.weight
  Tensor up_proj;              // [F, C]
  Tensor down_proj;            // [C, F]
  Tensor gate_bias;            // [F]        mlp.gate_proj.bias, undefined unless config.mlp_bias
  Tensor up_bias;              // [F]
  Tensor down_bias;            // [C]
};

struct LlamaWeights {
  Tensor embed_tokens;  // [V, C], the file's dtype   model.embed_tokens.weight
  std::vector<LlamaLayerWeights> layers;
  Tensor norm;     // [C]     model.norm.weight
  Tensor lm_head;  // [V, C]  lm_head.weight, or embed_tokens itself when tied
};

// Opens the safetensors weights in `folder` (one file or sharded) and takes every tensor the
// config calls for. A missing tensor, one of another shape or a non-float dtype throws
// retune::Error naming the folder, the tensor and the expected shape. Tensors the config does
// not call for are ignored.
LlamaWeights load_llama_weights(const std::filesystem::path& folder, const ModelConfig& config);

}  // namespace retune::model
