#include "model/gpt2_named_weights.h"

#include "model/gpt2_linear.h"

namespace retune::model {
namespace {

// name.weight and name.bias of a LayerNorm or a Conv1D.
template <typename WeightAndBias>
void add_pair(std::vector<std::pair<std::string, Tensor*>>& named, const std::string& name,
              WeightAndBias& module) {
  named.emplace_back(name + ".weight", &module.weight);
  named.emplace_back(name + ".bias", &module.bias);
}

}  // namespace

std::vector<std::pair<std::string, Tensor*>> gpt2_named_weights(Gpt2Weights& weights,
                                                                const ModelConfig& config) {
  std::vector<std::pair<std::string, Tensor*>> named = {{"transformer.wte.weight", &weights.wte},
                                                        {"transformer.wpe.weight", &weights.wpe}};
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    Gpt2LayerWeights& layer = weights.layers[i];
    const std::string prefix = "transformer.h." + std::to_string(i) + ".";
    const auto add_linear = [&](Gpt2Linear linear) {
      add_pair(named, prefix + std::string(gpt2_linear_path(linear)), gpt2_linear(layer, linear));
    };
    add_pair(named, prefix + "ln_1", layer.ln_1);
    add_linear(Gpt2Linear::c_attn);
    add_linear(Gpt2Linear::attn_c_proj);
    add_pair(named, prefix + "ln_2", layer.ln_2);
    add_linear(Gpt2Linear::c_fc);
    add_linear(Gpt2Linear::mlp_c_proj);
  }
  add_pair(named, "transformer.ln_f", weights.ln_f);
  if (!config.tie_word_embeddings) named.emplace_back("lm_head.weight", &weights.lm_head);
  return named;
}

}  // namespace retune::model
