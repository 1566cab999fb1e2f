// LinearSite: one linear layer of a model as code outside the architecture sees it — its
// Hugging Face module name, its weight and bias, and where to attach an adapter. Adapters
// (adapters/) choose their targets from a model's sites (CausalLm::linear_sites) without knowing
// the architecture.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "model/linear_adapter.h"

namespace retune::model {

struct LinearSite {
  std::string
      name;  // the module's path: "model.layers.0.self_attn.q_proj", "transformer.h.0.attn.c_attn"
  int64_t layer = 0;  // the decoder layer it belongs to
  Tensor weight;      // as stored in the model: [O, I], or GPT-2's Conv1D [I, O] (conv1d)
  Tensor bias;        // [O] f32 as the model holds it (added after the adapter); undefined: none
  bool conv1d = false;
  // The config.json flag that gives this linear a bias in its architecture ("attention_bias",
  // "mlp_bias"; set or not), or "" where none can (Qwen2's o_proj and MLP, which have none, and
  // GPT-2's Conv1D layers and Qwen2's q/k/v, which always have one).
  std::string bias_flag;
  // Attaches the adapter to this linear (null: removes it).
  std::function<void(std::shared_ptr<LinearAdapter>)> attach;

  // The weight in nn.Linear layout [O, I]: itself, or a transposed view of a Conv1D weight.
  Tensor linear_weight() const { return conv1d ? weight.transpose(0, 1) : weight; }
  int64_t in_features() const { return weight.size(conv1d ? 0 : 1); }
  int64_t out_features() const { return weight.size(conv1d ? 1 : 0); }
};

}  // namespace retune::model
