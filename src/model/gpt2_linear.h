// The Conv1D projections of a GPT-2 block, by their Hugging Face module names, for code that
// addresses them one by one (adapters, per-module gradients).
#pragma once

#include <array>
#include <string_view>

#include "model/gpt2_weights.h"

namespace retune::model {

enum class Gpt2Linear { c_attn, attn_c_proj, c_fc, mlp_c_proj };

inline constexpr std::array<Gpt2Linear, 4> kGpt2Linears = {
    Gpt2Linear::c_attn, Gpt2Linear::attn_c_proj, Gpt2Linear::c_fc, Gpt2Linear::mlp_c_proj};

// The module's path inside a block: "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj".
std::string_view gpt2_linear_path(Gpt2Linear linear);

// The block's projection (weight [in, out], bias [out]).
Conv1DWeights& gpt2_linear(Gpt2LayerWeights& layer, Gpt2Linear linear);
const Conv1DWeights& gpt2_linear(const Gpt2LayerWeights& layer, Gpt2Linear linear);

}  // namespace retune::model
