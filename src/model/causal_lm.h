// CausalLm: what every supported architecture offers (model/llama_model.h: the Llama family,
// model/gpt2_model.h: GPT-2), and the loader that picks the class from config.json.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "core/tensor.h"
#include "model/kv_cache.h"
#include "model/linear_site.h"
#include "model/model_config.h"
#include "model/norm_site.h"

namespace retune::model {

class CausalLm {
 public:
  virtual ~CausalLm() = default;

  virtual const ModelConfig& config() const = 0;

  // input_ids: i32 [B, T], each in [0, V). positions: i32 [B, T], or undefined for
  // past .. past + T - 1 in every row (past: the cache's length, else 0). With a cache, the
  // tokens' keys and values are appended to it and attention sees every cached token before
  // them. Returns the hidden states after the final norm, f32 [B, T, C] (new storage).
  virtual Tensor forward_hidden(const Tensor& input_ids, const Tensor& positions = Tensor(),
                                KvCache* cache = nullptr) const = 0;
  // hidden: f32 [B, T, C] -> logits f32 [B, T, V] (new storage).
  virtual Tensor logits(const Tensor& hidden) const = 0;
  // The output head's weight [V, C] (the embedding table when tied), for the fused head and
  // loss (ops/cross_entropy_head.h).
  virtual const Tensor& output_head() const = 0;
  // Gives the head its own weight `head` [V, C] (f32 or a stored dtype). A tied head stops
  // sharing the embedding table and config().tie_word_embeddings becomes false (as PEFT's
  // modules_to_save copy of a tied lm_head does). Throws on a wrong shape.
  virtual void set_output_head(Tensor head) = 0;

  // Every linear layer of the decoder layers (not the output head), layer by layer in the
  // order of the model.
  virtual std::vector<LinearSite> linear_sites() = 0;
  // The decoder layers' norms whose output only linear sites read, layer by layer: not the final
  // norm (the output head reads it) nor Qwen3's q_norm / k_norm (attention reads them).
  virtual std::vector<NormSite> norm_sites() = 0;

  // logits(forward_hidden(input_ids, positions)), without a cache.
  Tensor forward(const Tensor& input_ids, const Tensor& positions = Tensor()) const {
    return logits(forward_hidden(input_ids, positions));
  }
};

// Loads the model of `folder` as the class its config.json's architecture names; throws
// retune::Error naming the file, field or tensor that is missing or wrong.
std::unique_ptr<CausalLm> load_causal_lm(const std::filesystem::path& folder);

}  // namespace retune::model
