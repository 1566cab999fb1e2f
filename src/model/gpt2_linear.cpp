#include "model/gpt2_linear.h"

namespace retune::model {

std::string_view gpt2_linear_path(Gpt2Linear linear) {
  switch (linear) {
    case Gpt2Linear::c_attn:
      return "attn.c_attn";
    case Gpt2Linear::attn_c_proj:
      return "attn.c_proj";
    case Gpt2Linear::c_fc:
      return "mlp.c_fc";
    case Gpt2Linear::mlp_c_proj:
      return "mlp.c_proj";
  }
  return "";
}

Conv1DWeights& gpt2_linear(Gpt2LayerWeights& layer, Gpt2Linear linear) {
  switch (linear) {
    case Gpt2Linear::c_attn:
      return layer.c_attn;
    case Gpt2Linear::attn_c_proj:
      return layer.attn_c_proj;
    case Gpt2Linear::c_fc:
      return layer.c_fc;
    case Gpt2Linear::mlp_c_proj:
      return layer.mlp_c_proj;
  }
  return layer.c_attn;
}

const Conv1DWeights& gpt2_linear(const Gpt2LayerWeights& layer, Gpt2Linear linear) {
  return gpt2_linear(const_cast<Gpt2LayerWeights&>(layer), linear);
}

}  // namespace retune::model
