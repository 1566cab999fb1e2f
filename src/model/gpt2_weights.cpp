#include "model/gpt2_weights.h"

#include <string>
#include <utility>

#include "model/weight_reader.h"

namespace retune::model {
namespace {

LayerNormWeights read_layernorm(const WeightReader& reader, const std::string& name, int64_t c) {
  return {.weight = reader.f32(name + ".weight", {c}), .bias = reader.f32(name + ".bias", {c})};
}

Conv1DWeights read_conv1d(const WeightReader& reader, const std::string& name, int64_t in,
                          int64_t out) {
  return {.weight = reader.stored(name + ".weight", {in, out}),
          .bias = reader.f32(name + ".bias", {out})};
}

}  // namespace

Gpt2Weights load_gpt2_weights(const std::filesystem::path& folder, const ModelConfig& config) {
  const WeightReader reader(folder);
  const int64_t c = config.hidden_size;
  const int64_t f = config.intermediate_size;
  // GPT2LMHeadModel's names, or the bare GPT2Model's when the file has those instead.
  const std::string base = reader.has("wte.weight") ? "" : "transformer.";

  Gpt2Weights weights;
  weights.wte = reader.stored(base + "wte.weight", {config.vocab_size, c});
  weights.wpe = reader.stored(base + "wpe.weight", {config.max_position_embeddings, c});
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string prefix = base + "h." + std::to_string(i) + ".";
    Gpt2LayerWeights layer;
    layer.ln_1 = read_layernorm(reader, prefix + "ln_1", c);
    layer.c_attn = read_conv1d(reader, prefix + "attn.c_attn", c, 3 * c);
    layer.attn_c_proj = read_conv1d(reader, prefix + "attn.c_proj", c, c);
    layer.ln_2 = read_layernorm(reader, prefix + "ln_2", c);
    layer.c_fc = read_conv1d(reader, prefix + "mlp.c_fc", c, f);
    layer.mlp_c_proj = read_conv1d(reader, prefix + "mlp.c_proj", f, c);
    weights.layers.push_back(std::move(layer));
  }
  weights.ln_f = read_layernorm(reader, base + "ln_f", c);
  weights.lm_head = config.tie_word_embeddings
                        ? weights.wte
                        : reader.stored("lm_head.weight", {config.vocab_size, c});
  return weights;
}

}  // namespace retune::model
