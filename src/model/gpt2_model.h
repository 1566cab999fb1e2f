// Gpt2Model: inference forward of GPT2LMHeadModel as Hugging Face transformers computes it, with
// f32 activations, on the device of its weights (model::move_weights moves them to a GPU, whose
// products are in bf16).
//
// The residual stream x [N, C] (N = B*T) starts as wte[input_ids] + wpe[positions]. Each block:
//   h = layernorm_1(x);  q | k | v = h Wattn + battn   (Conv1D, Wattn [C, 3C])
//   a = causal multi-head attention(q, k, v), scale 1/sqrt(D);  x += a Wproj + bproj
//   h = layernorm_2(x);  x += gelu_tanh(h Wfc + bfc) Wmlp + bmlp
// then ln_f gives the hidden states and the head gives logits = hidden Whead^T (Whead = wte
// when tied). The model owns its weights (see gpt2_weights.h for which are mmapped views and
// which f32 copies); forward calls allocate their own activations and never change the model.
#pragma once

#include <filesystem>
#include <memory>

#include "core/tensor.h"
#include "model/adapter_table.h"
#include "model/causal_lm.h"
#include "model/gpt2_linear.h"
#include "model/gpt2_weights.h"
#include "model/linear_adapter.h"
#include "model/model_config.h"

namespace retune::model {

class Gpt2Model final : public CausalLm {
 public:
  // Reads `folder`/config.json and the safetensors weights; throws retune::Error naming the
  // file, field or tensor that is missing or wrong (and refuses a non-GPT-2 config).
  static Gpt2Model load(const std::filesystem::path& folder);
  Gpt2Model(ModelConfig config, Gpt2Weights weights);

  const ModelConfig& config() const override { return config_; }
  const Gpt2Weights& weights() const { return weights_; }
  // For a trainer that makes weights trainable (replacing them by owned f32 copies).
  Gpt2Weights& mutable_weights() { return weights_; }

  // The adapter on a projection (null: none), applied by every forward; shared with the
  // trainer that trains it.
  void set_adapter(int64_t layer, Gpt2Linear linear, std::shared_ptr<LinearAdapter> adapter);
  LinearAdapter* adapter(int64_t layer, Gpt2Linear linear) const;
  // Every adapter attached.
  const AdapterTable& adapters() const { return adapters_; }

  // As CausalLm's; input_ids (and the cache) on the weights' device. Every position must be in
  // [0, P), P = max_position_embeddings (the learned position table): checked on the host (the
  // defaults by their count, a caller's own read back from a GPU). The hidden states are ln_f's
  // output.
  Tensor forward_hidden(const Tensor& input_ids, const Tensor& positions = Tensor(),
                        KvCache* cache = nullptr) const override;
  Tensor logits(const Tensor& hidden) const override;
  const Tensor& output_head() const override { return weights_.lm_head; }
  void set_output_head(Tensor head) override;
  std::vector<LinearSite> linear_sites() override;
  // ln_1 (read by attn.c_attn) and ln_2 (mlp.c_fc).
  std::vector<NormSite> norm_sites() override;

 private:
  ModelConfig config_;
  Gpt2Weights weights_;
  AdapterTable adapters_;
};

}  // namespace retune::model
