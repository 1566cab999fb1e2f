#include "model/llama_model.h"

#include <cmath>
#include <utility>

#include "core/error.h"
#include "model/forward_steps.h"
#include "model/rope_frequencies.h"
#include "model/training_steps.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "ops/rmsnorm.h"
#include "ops/rope.h"
#include "ops/swiglu.h"

namespace retune::model {
namespace {

// x [N, C] W^T (adapted, + bias) -> new f32 [N, O]; weight [O, C], bias [O] or undefined,
// adapter or null.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const LinearAdapter* adapter) {
  Tensor out = Tensor::empty({x.size(0), weight.size(0)}, DType::f32, x.device());
  ops::matmul_forward(x, weight, out, {.trans_b = true});
  if (adapter) adapter->apply(x, out);
  if (bias.defined()) add_bias(out, bias);
  return out;
}

// RMSNorm of x [N, C] with weight [C] -> new f32 [N, C].
Tensor rmsnorm(const Tensor& x, const Tensor& weight, double eps) {
  Tensor out = Tensor::empty(x.shape(), DType::f32, x.device());
  const Tensor rstd = Tensor::empty({x.size(0)}, DType::f32, x.device());
  ops::rmsnorm_forward(x, weight, out, rstd, static_cast<float>(eps));
  return out;
}

}  // namespace

LlamaModel LlamaModel::load(const std::filesystem::path& folder) {
  ModelConfig config = load_model_config(folder);
  if (config.architecture == Architecture::gpt2) {
    fail("{}: GPT2LMHeadModel is not of the Llama family (load it as a Gpt2Model)",
         folder.string());
  }
  LlamaWeights weights = load_llama_weights(folder, config);
  return LlamaModel(std::move(config), std::move(weights));
}

LlamaModel::LlamaModel(ModelConfig config, LlamaWeights weights)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      rope_inv_freq_(rope_frequencies(config_)),
      adapters_(config_.num_hidden_layers, kLlamaLinears.size()) {
  RETUNE_CHECK(static_cast<int64_t>(weights_.layers.size()) == config_.num_hidden_layers,
               "LlamaModel: {} layers of weights for a config of {}", weights_.layers.size(),
               config_.num_hidden_layers);
}

void LlamaModel::set_output_head(Tensor head) {
  RETUNE_CHECK(head.shape() == weights_.lm_head.shape(),
               "LlamaModel: output head of shape {}, expected {}", head.shape().str(),
               weights_.lm_head.shape().str());
  weights_.lm_head = std::move(head);
  config_.tie_word_embeddings = false;
}

Tensor LlamaModel::forward_hidden(const Tensor& input_ids, const Tensor& positions,
                                  KvCache* cache) const {
  const Device device = weights_.embed_tokens.device();
  const Tensor position_ids = forward_positions("LlamaModel", input_ids, positions, cache, device);
  const int64_t batch = input_ids.size(0);
  const int64_t time = input_ids.size(1);

  const int64_t n = batch * time;
  const int64_t c = config_.hidden_size;
  const int64_t d = config_.head_dim;
  const int64_t q_heads = config_.num_attention_heads;
  const int64_t kv_heads = config_.num_key_value_heads;
  const double eps = config_.rms_norm_eps;
  const auto scale = static_cast<float>(std::pow(static_cast<double>(d), -0.5));

  const Tensor x = Tensor::empty({n, c}, DType::f32, device);  // the residual stream
  ops::embedding_forward(input_ids.contiguous().reshape({n}), weights_.embed_tokens, x);
  const Tensor attended = Tensor::empty({n, q_heads * d}, DType::f32, device);
  const Tensor activated = Tensor::empty({n, config_.intermediate_size}, DType::f32, device);
  for (size_t l = 0; l < weights_.layers.size(); ++l) {
    const LlamaLayerWeights& layer = weights_.layers[l];
    const auto adapter_of = [&](LlamaLinear linear) {
      return adapter(static_cast<int64_t>(l), linear);
    };
    // x += y W^T (+ bias): the residual add done by the matmul, unless an adapter needs y W^T.
    const auto add_projection = [&](const Tensor& y, LlamaLinear projection) {
      const Tensor& weight = llama_linear_weight(layer, projection);
      const Tensor& bias = llama_linear_bias(layer, projection);
      if (const LinearAdapter* adapted = adapter_of(projection)) {
        add_into(x, linear(y, weight, bias, adapted));
        return;
      }
      ops::matmul_forward(y, weight, x, {.trans_b = true, .beta = 1.0f});
      if (bias.defined()) add_bias(x, bias);
    };
    const Tensor h = rmsnorm(x, layer.input_norm, eps);
    Tensor q = linear(h, layer.q_proj, layer.q_bias, adapter_of(LlamaLinear::q_proj));
    Tensor k = linear(h, layer.k_proj, layer.k_bias, adapter_of(LlamaLinear::k_proj));
    const Tensor v = linear(h, layer.v_proj, layer.v_bias, adapter_of(LlamaLinear::v_proj));
    if (config_.qk_norm) {
      q = rmsnorm(q.reshape({n * q_heads, d}), layer.q_norm, eps);
      k = rmsnorm(k.reshape({n * kv_heads, d}), layer.k_norm, eps);
    }
    const Tensor q4 = q.reshape({batch, time, q_heads, d});
    const Tensor k4 = k.reshape({batch, time, kv_heads, d});
    const Tensor v4 = v.reshape({batch, time, kv_heads, d});
    ops::rope_forward(q4, position_ids, rope_inv_freq_, q4);
    ops::rope_forward(k4, position_ids, rope_inv_freq_, k4);
    attend(q4, k4, v4, static_cast<int64_t>(l), scale, cache,
           attended.reshape({batch, time, q_heads, d}));
    add_projection(attended, LlamaLinear::o_proj);

    const Tensor g = rmsnorm(x, layer.post_attention_norm, eps);
    ops::swiglu_forward(
        linear(g, layer.gate_proj, layer.gate_bias, adapter_of(LlamaLinear::gate_proj)),
        linear(g, layer.up_proj, layer.up_bias, adapter_of(LlamaLinear::up_proj)), activated);
    add_projection(activated, LlamaLinear::down_proj);
  }
  if (cache) cache->advance(time);
  return rmsnorm(x, weights_.norm, eps).reshape({batch, time, c});
}

Tensor LlamaModel::logits(const Tensor& hidden) const {
  return head_logits("LlamaModel", hidden, weights_.lm_head);
}

std::vector<LinearSite> LlamaModel::linear_sites() {
  std::vector<LinearSite> sites;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    for (const LlamaLinear linear : kLlamaLinears) {
      sites.push_back(
          {.name =
               "model.layers." + std::to_string(l) + "." + std::string(llama_linear_path(linear)),
           .layer = l,
           .weight = llama_linear_weight(weights_.layers[static_cast<size_t>(l)], linear),
           .bias = llama_linear_bias(weights_.layers[static_cast<size_t>(l)], linear),
           .bias_flag = std::string(llama_bias_flag(config_.architecture, linear)),
           .attach = [this, l, linear](std::shared_ptr<LinearAdapter> adapter) {
             set_adapter(l, linear, std::move(adapter));
           }});
    }
  }
  return sites;
}

std::vector<NormSite> LlamaModel::norm_sites() {
  std::vector<NormSite> sites;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".";
    const LlamaLayerWeights& layer = weights_.layers[static_cast<size_t>(l)];
    sites.push_back({.name = prefix + "input_layernorm",
                     .layer = l,
                     .weight = layer.input_norm,
                     .consumers = {prefix + "self_attn.q_proj", prefix + "self_attn.k_proj",
                                   prefix + "self_attn.v_proj"}});
    sites.push_back({.name = prefix + "post_attention_layernorm",
                     .layer = l,
                     .weight = layer.post_attention_norm,
                     .consumers = {prefix + "mlp.gate_proj", prefix + "mlp.up_proj"}});
  }
  return sites;
}

void LlamaModel::set_adapter(int64_t layer, LlamaLinear linear,
                             std::shared_ptr<LinearAdapter> adapter) {
  adapters_.set("LlamaModel", layer, static_cast<size_t>(linear), std::move(adapter));
}

LinearAdapter* LlamaModel::adapter(int64_t layer, LlamaLinear linear) const {
  return adapters_.get(layer, static_cast<size_t>(linear));
}

}  // namespace retune::model
