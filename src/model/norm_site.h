// NormSite: one normalisation layer of a decoder layer as code outside the architecture sees it
// — its Hugging Face module name, its affine parameters, and the linear layers that read its
// output. Adapters that change a norm's output (SSF: adapters/ssf_model.h) realise that change
// in those linears' adapter slots (model/linear_site.h), since a norm has no slot of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace retune::model {

struct NormSite {
  std::string name;  // the module's path: "model.layers.0.input_layernorm", "transformer.h.0.ln_1"
  int64_t layer = 0;
  Tensor weight;  // [C] f32, the scale
  Tensor bias;    // [C] f32, LayerNorm's shift; undefined for RMSNorm
  // The LinearSite names of every layer that reads the norm's output, and nothing else does:
  // "model.layers.0.self_attn.q_proj", ... (input_layernorm -> q/k/v_proj,
  // post_attention_layernorm -> gate/up_proj; GPT-2's ln_1 -> attn.c_attn, ln_2 -> mlp.c_fc).
  std::vector<std::string> consumers;
};

}  // namespace retune::model
