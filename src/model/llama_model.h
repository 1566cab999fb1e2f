// LlamaModel: inference forward of the Llama family (LlamaForCausalLM, Qwen2ForCausalLM,
// Qwen3ForCausalLM) as Hugging Face transformers computes it, in f32 on the CPU, or on a GPU
// (move_weights) with its products in bf16.
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
#include <memory>

#include "core/tensor.h"
#include "model/adapter_table.h"
#include "model/causal_lm.h"
#include "model/linear_adapter.h"
#include "model/llama_linear.h"
#include "model/llama_weights.h"
#include "model/model_config.h"

namespace retune::model {

class LlamaModel final : public CausalLm {
 public:
  // Reads `folder`/config.json and the safetensors weights; throws retune::Error naming the
  // file, field or tensor that is missing or wrong (and refuses a GPT-2 config).
  static LlamaModel load(const std::filesystem::path& folder);
  LlamaModel(ModelConfig config, LlamaWeights weights);

  const ModelConfig& config() const override { return config_; }
  const LlamaWeights& weights() const { return weights_; }
  // For a trainer that makes weights trainable (replacing them by owned f32 copies).
  LlamaWeights& mutable_weights() { return weights_; }

  // The adapter on a linear layer (null: none), applied by every forward; shared with the
  // trainer that trains it.
  void set_adapter(int64_t layer, LlamaLinear linear, std::shared_ptr<LinearAdapter> adapter);
  LinearAdapter* adapter(int64_t layer, LlamaLinear linear) const;
  // Every adapter attached.
  const AdapterTable& adapters() const { return adapters_; }
  // f32 [R/2], the rotary frequencies (rope scaling applied), on the device of the weights.
  const Tensor& rope_inv_freq() const { return rope_inv_freq_; }
  // Moves the rotary frequencies to `device` (move_weights moves them with the weights).
  void move_rope_inv_freq(Device device) { rope_inv_freq_ = on_device(rope_inv_freq_, device); }

  // As CausalLm's.
  Tensor forward_hidden(const Tensor& input_ids, const Tensor& positions = Tensor(),
                        KvCache* cache = nullptr) const override;
  Tensor logits(const Tensor& hidden) const override;
  const Tensor& output_head() const override { return weights_.lm_head; }
  void set_output_head(Tensor head) override;
  std::vector<LinearSite> linear_sites() override;
  // input_layernorm (read by q/k/v_proj) and post_attention_layernorm (gate/up_proj).
  std::vector<NormSite> norm_sites() override;

 private:
  ModelConfig config_;
  LlamaWeights weights_;
  Tensor rope_inv_freq_;
  AdapterTable adapters_;
};

}  // namespace retune::model
