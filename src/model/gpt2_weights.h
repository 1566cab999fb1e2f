// Gpt2Weights: the parameters of a GPT2LMHeadModel, found by their Hugging Face names and
// checked against the shapes the config implies.
//
// Names are those of GPT2LMHeadModel ("transformer.wte.weight", "transformer.h.{i}.ln_1.weight",
// ...); a file saved from the bare GPT2Model, whose names lack the "transformer." prefix, is
// read too. The projections are Conv1D layers: their weights are stored [in, out], transposed
// relative to nn.Linear, so y = x W + b.
//
// Ownership: the token and position tables and every matmul weight (the Conv1D weights and
// lm_head) are zero-copy views of the mmapped file in the file's dtype (f32, bf16 or f16; the
// embedding op and the matmul read all three). The LayerNorm weights and the biases are mmapped
// views for an f32 file and owned f32 copies of a bf16/f16 one (see weight_reader.h).
#pragma once

#include <filesystem>
#include <vector>

#include "core/tensor.h"
#include "model/model_config.h"

namespace retune::model {

// A LayerNorm's scale and shift, f32 [C] each.
struct LayerNormWeights {
  Tensor weight;
  Tensor bias;
};

// A Conv1D projection from `in` to `out` features: weight [in, out] in the file's dtype, bias
// f32 [out].
struct Conv1DWeights {
  Tensor weight;
  Tensor bias;
};

// Shapes: C hidden, F intermediate (n_inner), V vocab, P positions (n_positions).
struct Gpt2LayerWeights {
  LayerNormWeights ln_1;      // h.{i}.ln_1
  Conv1DWeights c_attn;       // h.{i}.attn.c_attn: [C, 3C], columns q | k | v
  Conv1DWeights attn_c_proj;  // h.{i}.attn.c_proj: [C, C]
  LayerNormWeights ln_2;      // h.{i}.ln_2
  Conv1DWeights c_fc;         // h.{i}.mlp.c_fc: [C, F]
  Conv1DWeights mlp_c_proj;   // h.{i}.mlp.c_proj: [F, C]
};

struct Gpt2Weights {
  Tensor wte;  // [V, C], the file's dtype   transformer.wte.weight
  Tensor wpe;  // [P, C], the file's dtype   transformer.wpe.weight
  std::vector<Gpt2LayerWeights> layers;
  LayerNormWeights ln_f;  // transformer.ln_f
  Tensor lm_head;         // [V, C], the file's dtype: lm_head.weight, or wte itself when tied
};

// Opens the safetensors weights in `folder` (one file or sharded) and takes every tensor the
// config calls for. A missing tensor, one of another shape or a non-float dtype throws
// retune::Error naming the folder, the tensor and the expected shape. Tensors the config does
// not call for (such as the attention's causal-mask buffers) are ignored.
Gpt2Weights load_gpt2_weights(const std::filesystem::path& folder, const ModelConfig& config);

}  // namespace retune::model
