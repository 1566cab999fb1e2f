#include "model/gpt2_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "model/forward_steps.h"
#include "model/training_steps.h"
#include "ops/activations.h"
#include "ops/embedding.h"
#include "ops/layernorm.h"
#include "ops/matmul.h"

namespace retune::model {
namespace {

// Conv1D: x [N, in] W (adapted) + b -> new f32 [N, out]; W [in, out], b [out], adapter or null.
Tensor conv1d(const Tensor& x, const Conv1DWeights& projection, const LinearAdapter* adapter) {
  Tensor out = Tensor::empty({x.size(0), projection.weight.size(1)}, DType::f32, x.device());
  ops::matmul_forward(x, projection.weight, out);
  if (adapter) adapter->apply(x, out);
  add_bias(out, projection.bias);
  return out;
}

// LayerNorm of x [N, C] -> new f32 [N, C].
Tensor layernorm(const Tensor& x, const LayerNormWeights& norm, double eps) {
  Tensor out = Tensor::empty(x.shape(), DType::f32, x.device());
  const Tensor mean = Tensor::empty({x.size(0)}, DType::f32, x.device());
  const Tensor rstd = Tensor::empty({x.size(0)}, DType::f32, x.device());
  ops::layernorm_forward(x, norm.weight, norm.bias, out, mean, rstd, static_cast<float>(eps));
  return out;
}

}  // namespace

Gpt2Model Gpt2Model::load(const std::filesystem::path& folder) {
  ModelConfig config = load_model_config(folder);
  if (config.architecture != Architecture::gpt2) {
    fail("{}: {} is not a GPT-2 model (expected GPT2LMHeadModel)", folder.string(),
         architecture_name(config.architecture));
  }
  Gpt2Weights weights = load_gpt2_weights(folder, config);
  return Gpt2Model(std::move(config), std::move(weights));
}

Gpt2Model::Gpt2Model(ModelConfig config, Gpt2Weights weights)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      adapters_(config_.num_hidden_layers, kGpt2Linears.size()) {
  RETUNE_CHECK(static_cast<int64_t>(weights_.layers.size()) == config_.num_hidden_layers,
               "Gpt2Model: {} layers of weights for a config of {}", weights_.layers.size(),
               config_.num_hidden_layers);
}

void Gpt2Model::set_output_head(Tensor head) {
  RETUNE_CHECK(head.shape() == weights_.lm_head.shape(),
               "Gpt2Model: output head of shape {}, expected {}", head.shape().str(),
               weights_.lm_head.shape().str());
  weights_.lm_head = std::move(head);
  config_.tie_word_embeddings = false;
}

Tensor Gpt2Model::forward_hidden(const Tensor& input_ids, const Tensor& positions,
                                 KvCache* cache) const {
  const Device device = weights_.wte.device();
  const Tensor checked = forward_positions("Gpt2Model", input_ids, positions, cache, device);
  const int64_t batch = input_ids.size(0);
  const int64_t time = input_ids.size(1);
  const int64_t n = batch * time;
  const Tensor position_ids = checked.reshape({n});
  // Checked on the host (a GPU's embedding would read a position past the table as zeros): the
  // caller's positions read back, the defaults past .. past + T - 1 by their count.
  const int64_t limit = config_.max_position_embeddings;
  const auto outside = [&](int64_t position, int64_t at) {
    return fmt::format(
        "Gpt2Model::forward: position {} (batch row {}, token {}) is outside [0, {}), the learned "
        "positions (n_positions)",
        position, at / time, at % time, limit);
  };
  if (!positions.defined()) {
    const int64_t past = cache ? cache->length() : 0;
    const int64_t first_outside = std::max<int64_t>(limit - past, 0);
    RETUNE_CHECK(first_outside >= time, "{}", outside(past + first_outside, first_outside));
  } else {
    const Tensor host_positions = on_device(position_ids, Device::cpu());
    const int32_t* p = host_positions.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      RETUNE_CHECK(p[i] >= 0 && p[i] < limit, "{}", outside(p[i], i));
    }
  }

  const int64_t c = config_.hidden_size;
  const int64_t heads = config_.num_attention_heads;
  const int64_t d = config_.head_dim;
  const double eps = config_.layer_norm_eps;
  const auto scale = static_cast<float>(std::pow(static_cast<double>(d), -0.5));

  const Tensor x = Tensor::empty({n, c}, DType::f32, device);  // the residual stream
  ops::embedding_forward(input_ids.contiguous().reshape({n}), weights_.wte, x);
  const Tensor position_rows = Tensor::empty({n, c}, DType::f32, device);
  ops::embedding_forward(position_ids, weights_.wpe, position_rows);
  add_into(x, position_rows);

  const Tensor attended = Tensor::empty({n, c}, DType::f32, device);
  const Tensor activated = Tensor::empty({n, config_.intermediate_size}, DType::f32, device);
  // Columns [part*C, (part+1)*C) of qkv [N, 3C] as a contiguous [B, T, H, D].
  const auto head_view = [&](const Tensor& qkv, int64_t part) {
    return qkv.slice(1, part * c, (part + 1) * c).contiguous().reshape({batch, time, heads, d});
  };

  for (size_t l = 0; l < weights_.layers.size(); ++l) {
    const Gpt2LayerWeights& layer = weights_.layers[l];
    // The projection's output for y, adapted.
    const auto project = [&](const Tensor& y, Gpt2Linear projection) {
      return conv1d(y, gpt2_linear(layer, projection),
                    adapter(static_cast<int64_t>(l), projection));
    };
    // x += y W + b: the residual add done by the matmul, unless an adapter needs y W.
    const auto add_projection = [&](const Tensor& y, Gpt2Linear projection) {
      if (adapter(static_cast<int64_t>(l), projection)) {
        add_into(x, project(y, projection));
        return;
      }
      const Conv1DWeights& weights = gpt2_linear(layer, projection);
      ops::matmul_forward(y, weights.weight, x, {.beta = 1.0f});
      add_bias(x, weights.bias);
    };
    const Tensor qkv = project(layernorm(x, layer.ln_1, eps), Gpt2Linear::c_attn);
    attend(head_view(qkv, 0), head_view(qkv, 1), head_view(qkv, 2), static_cast<int64_t>(l), scale,
           cache, attended.reshape({batch, time, heads, d}));
    add_projection(attended, Gpt2Linear::attn_c_proj);

    ops::gelu_forward(project(layernorm(x, layer.ln_2, eps), Gpt2Linear::c_fc), activated,
                      ops::GeluApproximation::tanh);
    add_projection(activated, Gpt2Linear::mlp_c_proj);
  }
  if (cache) cache->advance(time);
  return layernorm(x, weights_.ln_f, eps).reshape({batch, time, c});
}

Tensor Gpt2Model::logits(const Tensor& hidden) const {
  return head_logits("Gpt2Model", hidden, weights_.lm_head);
}

std::vector<LinearSite> Gpt2Model::linear_sites() {
  std::vector<LinearSite> sites;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    for (const Gpt2Linear linear : kGpt2Linears) {
      sites.push_back(
          {.name =
               "transformer.h." + std::to_string(l) + "." + std::string(gpt2_linear_path(linear)),
           .layer = l,
           .weight = gpt2_linear(weights_.layers[static_cast<size_t>(l)], linear).weight,
           .bias = gpt2_linear(weights_.layers[static_cast<size_t>(l)], linear).bias,
           .conv1d = true,
           .attach = [this, l, linear](std::shared_ptr<LinearAdapter> adapter) {
             set_adapter(l, linear, std::move(adapter));
           }});
    }
  }
  return sites;
}

std::vector<NormSite> Gpt2Model::norm_sites() {
  std::vector<NormSite> sites;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const std::string prefix = "transformer.h." + std::to_string(l) + ".";
    const Gpt2LayerWeights& layer = weights_.layers[static_cast<size_t>(l)];
    sites.push_back({.name = prefix + "ln_1",
                     .layer = l,
                     .weight = layer.ln_1.weight,
                     .bias = layer.ln_1.bias,
                     .consumers = {prefix + "attn.c_attn"}});
    sites.push_back({.name = prefix + "ln_2",
                     .layer = l,
                     .weight = layer.ln_2.weight,
                     .bias = layer.ln_2.bias,
                     .consumers = {prefix + "mlp.c_fc"}});
  }
  return sites;
}

void Gpt2Model::set_adapter(int64_t layer, Gpt2Linear linear,
                            std::shared_ptr<LinearAdapter> adapter) {
  adapters_.set("Gpt2Model", layer, static_cast<size_t>(linear), std::move(adapter));
}

LinearAdapter* Gpt2Model::adapter(int64_t layer, Gpt2Linear linear) const {
  return adapters_.get(layer, static_cast<size_t>(linear));
}

}  // namespace retune::model
