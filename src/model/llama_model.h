// LlamaModel: inference forward of the Llama family (LlamaForCausalLM, Qwen2ForCausalLM,
// Qwen3ForCausalLM) as Hugging Face transformers computes it, on the CPU in f32.
//
// Each decoder layer, on the residual stream x [N, C] (N = B*T):
//   h = rmsnorm(x);  q, k, v = h Wq^T (+bq), h Wk^T (+bk), h Wv^T (+bv)
//   Qwen3: q, k = rmsnorm over head_dim of each head (q_norm, k_norm)
//   q, k = rope(q, k, positions);  a = causal GQA attention(q, k, v), scale 1/sqrt(D)
//   x += a Wo^T (+bo)
//   h = rmsnorm(x);  x += (silu(h Wgate^T) * h Wup^T) Wdown^T
// then the final norm gives the hidden states and the head gives logits = hidden Whead^T.
// The model owns its weights (see llama_weights.h for which are mmapped views and which f32
// copies); forward calls allocate their own activations and never change the model.
#pragma once

#include <filesystem>

#include "core/tensor.h"
#include "model/llama_weights.h"
#include "model/model_config.h"

namespace retune::model {

class LlamaModel {
 public:
  // Reads `folder`/config.json and the safetensors weights; throws retune::Error naming the
  // file, field or tensor that is missing or wrong (and refuses a GPT-2 config).
  static LlamaModel load(const std::filesystem::path& folder);
  LlamaModel(ModelConfig config, LlamaWeights weights);

  const ModelConfig& config() const { return config_; }
  const LlamaWeights& weights() const { return weights_; }
  // f32 [R/2], the rotary frequencies (rope scaling applied).
  const Tensor& rope_inv_freq() const { return rope_inv_freq_; }

  // input_ids: i32 [B, T], each in [0, V). positions: i32 [B, T], or undefined for 0..T-1 in
  // every row. Returns the hidden states after the final norm, f32 [B, T, C] (new storage).
  Tensor forward_hidden(const Tensor& input_ids, const Tensor& positions = Tensor()) const;
  // hidden: f32 [B, T, C] -> logits f32 [B, T, V] (new storage).
  Tensor logits(const Tensor& hidden) const;
  // logits(forward_hidden(input_ids, positions)).
  Tensor forward(const Tensor& input_ids, const Tensor& positions = Tensor()) const;

 private:
  ModelConfig config_;
  LlamaWeights weights_;
  Tensor rope_inv_freq_;
};

}  // namespace retune::model
