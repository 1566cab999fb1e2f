#include "pretrain/initial_weights.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/random_tensor.h"
#include "core/rng.h"

namespace retune::pretrain {
namespace {

using Kind = WeightInit::Kind;

// FNV-1a: a stable hash of a tensor name, to seed its stream.
uint64_t name_hash(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : name) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return hash;
}

void add_llama_layer(const ModelSpec& spec, int64_t i, std::vector<WeightInit>& inits) {
  const int64_t c = spec.hidden;
  const int64_t f = spec.intermediate;
  const int64_t q_width = spec.heads * spec.head_dim();
  const int64_t kv_width = spec.kv_heads * spec.head_dim();
  const double std = spec.initializer_range;
  const std::string prefix = "model.layers." + std::to_string(i) + ".";
  const std::string attn = prefix + "self_attn.";
  inits.push_back({prefix + "input_layernorm.weight", {c}, Kind::ones});
  inits.push_back({attn + "q_proj.weight", {q_width, c}, Kind::normal, std});
  inits.push_back({attn + "k_proj.weight", {kv_width, c}, Kind::normal, std});
  inits.push_back({attn + "v_proj.weight", {kv_width, c}, Kind::normal, std});
  inits.push_back({attn + "o_proj.weight", {c, q_width}, Kind::normal, std});
  if (spec.architecture == model::Architecture::qwen2) {
    inits.push_back({attn + "q_proj.bias", {q_width}, Kind::zeros});
    inits.push_back({attn + "k_proj.bias", {kv_width}, Kind::zeros});
    inits.push_back({attn + "v_proj.bias", {kv_width}, Kind::zeros});
  }
  if (spec.architecture == model::Architecture::qwen3) {
    inits.push_back({attn + "q_norm.weight", {spec.head_dim()}, Kind::ones});
    inits.push_back({attn + "k_norm.weight", {spec.head_dim()}, Kind::ones});
  }
  inits.push_back({prefix + "post_attention_layernorm.weight", {c}, Kind::ones});
  inits.push_back({prefix + "mlp.gate_proj.weight", {f, c}, Kind::normal, std});
  inits.push_back({prefix + "mlp.up_proj.weight", {f, c}, Kind::normal, std});
  inits.push_back({prefix + "mlp.down_proj.weight", {c, f}, Kind::normal, std});
}

std::vector<WeightInit> llama_inits(const ModelSpec& spec) {
  std::vector<WeightInit> inits = {{"model.embed_tokens.weight",
                                    {spec.vocab, spec.hidden},
                                    Kind::normal,
                                    spec.initializer_range,
                                    spec.pad_id}};
  for (int64_t i = 0; i < spec.layers; ++i) add_llama_layer(spec, i, inits);
  inits.push_back({"model.norm.weight", {spec.hidden}, Kind::ones});
  return inits;
}

// A LayerNorm's or a Conv1D's weight and bias.
void add_layernorm(const std::string& name, int64_t c, std::vector<WeightInit>& inits) {
  inits.push_back({name + ".weight", {c}, Kind::ones});
  inits.push_back({name + ".bias", {c}, Kind::zeros});
}
void add_conv1d(const std::string& name, int64_t in, int64_t out, double std,
                std::vector<WeightInit>& inits) {
  inits.push_back({name + ".weight", {in, out}, Kind::normal, std});
  inits.push_back({name + ".bias", {out}, Kind::zeros});
}

std::vector<WeightInit> gpt2_inits(const ModelSpec& spec) {
  const int64_t c = spec.hidden;
  const double std = spec.initializer_range;
  const double residual_std = std / std::sqrt(2.0 * static_cast<double>(spec.layers));
  std::vector<WeightInit> inits = {
      {"transformer.wte.weight", {spec.vocab, c}, Kind::normal, std},
      {"transformer.wpe.weight", {spec.max_positions, c}, Kind::normal, std}};
  for (int64_t i = 0; i < spec.layers; ++i) {
    const std::string prefix = "transformer.h." + std::to_string(i) + ".";
    add_layernorm(prefix + "ln_1", c, inits);
    add_conv1d(prefix + "attn.c_attn", c, 3 * c, std, inits);
    add_conv1d(prefix + "attn.c_proj", c, c, residual_std, inits);
    add_layernorm(prefix + "ln_2", c, inits);
    add_conv1d(prefix + "mlp.c_fc", c, spec.intermediate, std, inits);
    add_conv1d(prefix + "mlp.c_proj", spec.intermediate, c, residual_std, inits);
  }
  add_layernorm("transformer.ln_f", c, inits);
  return inits;
}

Tensor draw(const WeightInit& init, uint64_t seed) {
  switch (init.kind) {
    case Kind::zeros:
      return Tensor::zeros(init.shape, DType::f32);
    case Kind::ones: {
      const std::vector<float> ones(static_cast<size_t>(init.shape.numel()), 1.0f);
      return Tensor::from_vector<float>(init.shape, DType::f32, ones);
    }
    case Kind::normal:
      break;
  }
  Tensor tensor = normal_tensor(init.shape, mix64(seed ^ name_hash(init.name)), 0.0, init.std);
  if (init.zero_row) {
    const int64_t width = init.shape[1];
    float* row = tensor.mutable_data<float>() + *init.zero_row * width;
    std::fill(row, row + width, 0.0f);
  }
  return tensor;
}

}  // namespace

std::vector<WeightInit> weight_inits(const ModelSpec& spec) {
  std::vector<WeightInit> inits =
      spec.architecture == model::Architecture::gpt2 ? gpt2_inits(spec) : llama_inits(spec);
  if (!spec.tie_word_embeddings) {
    inits.push_back(
        {"lm_head.weight", {spec.vocab, spec.hidden}, Kind::normal, spec.initializer_range});
  }
  return inits;
}

int64_t parameter_count(const ModelSpec& spec) {
  int64_t count = 0;
  for (const WeightInit& init : weight_inits(spec)) count += init.shape.numel();
  return count;
}

NamedTensors initial_weights(const ModelSpec& spec, uint64_t seed) {
  NamedTensors weights;
  for (const WeightInit& init : weight_inits(spec))
    weights.emplace_back(init.name, draw(init, seed));
  return weights;
}

}  // namespace retune::pretrain
