#include "model/gpt2_training.h"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/profile.h"
#include "model/forward_steps.h"
#include "model/trainable_linear.h"
#include "model/training_steps.h"
#include "ops/activations.h"
#include "ops/attention.h"
#include "ops/embedding.h"
#include "ops/layernorm.h"

namespace retune::model {
namespace {

// What a block's backward reads, kept by its forward. Shapes: N = B*T tokens, C hidden, F the
// MLP width, H heads of D dims. The norms' outputs (the inputs of c_attn and c_fc) and gelu's
// (mlp.c_proj's input) are not kept: the backward computes them again from x, x_mid and fc (the
// same bits), which saves 2C + F floats per token.
struct BlockActivations {
  Tensor x;         // [N, C] the block's input (the residual stream)
  Tensor mean_1;    // [N]
  Tensor rstd_1;    // [N]
  Tensor q, k, v;   // [B, T, H, D]
  Tensor attended;  // [N, C] attention's output: attn.c_proj's input
  Tensor lse;       // [B, H, T]
  Tensor x_mid;     // [N, C] after the attention's residual add
  Tensor mean_2;    // [N]
  Tensor rstd_2;    // [N]
  Tensor fc;        // [N, F] c_fc's output
};

// A new f32 tensor of `shape` on `device`.
Tensor empty(const Shape& shape, Device device) {
  return Tensor::empty(shape, DType::f32, device);
}

struct Normalized {
  Tensor out, mean, rstd;
};

Normalized layernorm(const Tensor& x, const LayerNormWeights& norm, double eps) {
  Normalized n{empty(x.shape(), x.device()), empty({x.size(0)}, x.device()),
               empty({x.size(0)}, x.device())};
  ops::layernorm_forward(x, norm.weight, norm.bias, n.out, n.mean, n.rstd, static_cast<float>(eps));
  return n;
}

// gelu(fc) (tanh approximation, GPT-2's), a new tensor.
Tensor gelu(const Tensor& fc) {
  Tensor out = empty(fc.shape(), fc.device());
  ops::gelu_forward(fc, out, ops::GeluApproximation::tanh);
  return out;
}

// dx = (or, when accumulate_dx, +=) the gradient of LayerNorm's input for dout; the weight's and
// bias's gradients are added to when defined.
void layernorm_backward(const Tensor& dout, const Tensor& x, const LayerNormWeights& norm,
                        const Tensor& mean, const Tensor& rstd, const LayerNormWeights& grads,
                        const Tensor& dx, bool accumulate_dx) {
  ops::layernorm_backward(dout, x, norm.weight, mean, rstd, dx, grads.weight, grads.bias,
                          accumulate_dx);
}

}  // namespace

Gpt2Training::Gpt2Training(const Gpt2Model& model, Gpt2Weights grads)
    : model_(model), grads_(std::move(grads)) {
  const ModelConfig& config = model.config();
  RETUNE_CHECK(static_cast<int64_t>(grads_.layers.size()) == config.num_hidden_layers,
               "Gpt2Training: gradients for {} layers, the model has {}", grads_.layers.size(),
               config.num_hidden_layers);
  lowest_trained_layer_ = lowest_trained_layer(
      config.num_hidden_layers, grads_.wte.defined() || grads_.wpe.defined(), [&](int64_t l) {
        const Gpt2LayerWeights& layer = grads_.layers[static_cast<size_t>(l)];
        bool trained = layer.ln_1.weight.defined() || layer.ln_1.bias.defined() ||
                       layer.ln_2.weight.defined() || layer.ln_2.bias.defined();
        for (const Gpt2Linear linear : kGpt2Linears) {
          const Conv1DWeights& projection = gpt2_linear(layer, linear);
          trained = trained || projection.weight.defined() || projection.bias.defined() ||
                    model.adapter(l, linear);
        }
        return trained;
      });
}

float Gpt2Training::step(const TokenBatch& batch, float dloss) {
  return train(batch, nullptr, dloss);
}

float Gpt2Training::distill_step(const TokenBatch& rows, const DistillationTeacher& teacher,
                                 float dloss) {
  return train(rows, &teacher, dloss);
}

float Gpt2Training::train(const TokenBatch& batch, const DistillationTeacher* teacher,
                          float dloss) {
  const ModelConfig& config = model_.config();
  const Gpt2Weights& weights = model_.weights();
  const Tensor positions = checked_positions("Gpt2Training", batch.input_ids, batch.positions, 0);
  const int64_t B = batch.input_ids.size(0);
  const int64_t T = batch.input_ids.size(1);
  const Device device = weights.wte.device();
  const Tensor host_labels = begin_training_step("Gpt2Training", batch, device, model_.adapters());
  // The default positions 0 .. T-1 must fit the learned ones (a batch's own are checked by the
  // CPU's embedding; a GPU's are not read back: see the header).
  RETUNE_CHECK(batch.positions.defined() || T <= config.max_position_embeddings,
               "Gpt2Training: rows of {} tokens exceed the {} learned positions (n_positions)", T,
               config.max_position_embeddings);
  const int64_t N = B * T;
  const int64_t C = config.hidden_size;
  const int64_t H = config.num_attention_heads;
  const int64_t D = config.head_dim;
  const double eps = config.layer_norm_eps;
  const auto scale = static_cast<float>(std::pow(static_cast<double>(D), -0.5));
  const Tensor doc_ids = batch.doc_ids.defined() ? batch.doc_ids.contiguous() : Tensor();
  const Tensor ids = batch.input_ids.contiguous().reshape({N});
  const Tensor position_ids = positions.reshape({N});
  const auto layers = static_cast<size_t>(config.num_hidden_layers);

  const auto linear_of = [&](size_t l, Gpt2Linear linear) {
    const Conv1DWeights& w = gpt2_linear(weights.layers[l], linear);
    const Conv1DWeights& g = gpt2_linear(grads_.layers[l], linear);
    return TrainableLinear{.weight = w.weight,
                           .bias = w.bias,
                           .adapter = model_.adapter(static_cast<int64_t>(l), linear),
                           .weight_grad = g.weight,
                           .bias_grad = g.bias,
                           .conv1d = true};
  };
  // Columns [part*C, (part+1)*C) of qkv [N, 3C] as a contiguous [B, T, H, D].
  const auto head_view = [&](const Tensor& qkv, int64_t part) {
    return qkv.slice(1, part * C, (part + 1) * C).contiguous().reshape({B, T, H, D});
  };

  // Forward, keeping each block's activations.
  std::optional<profile::PhaseScope> phase(std::in_place, profile::Phase::forward);
  std::vector<BlockActivations> saved(layers);
  Tensor x = empty({N, C}, device);
  ops::embedding_forward(ids, weights.wte, x);
  {
    const Tensor position_rows = empty({N, C}, device);
    ops::embedding_forward(position_ids, weights.wpe, position_rows);
    add_into(x, position_rows);
  }
  for (size_t l = 0; l < layers; ++l) {
    const Gpt2LayerWeights& w = weights.layers[l];
    BlockActivations& a = saved[l];
    a.x = x;
    const Normalized n1 = layernorm(x, w.ln_1, eps);
    a.mean_1 = n1.mean, a.rstd_1 = n1.rstd;
    const Tensor qkv = linear_of(l, Gpt2Linear::c_attn).forward(n1.out);
    a.q = head_view(qkv, 0), a.k = head_view(qkv, 1), a.v = head_view(qkv, 2);
    a.attended = empty({N, C}, device);
    a.lse = empty({B, H, T}, device);
    ops::attention_forward(a.q, a.k, a.v, doc_ids, scale, a.attended.reshape({B, T, H, D}), a.lse);
    x = sum_of(x, linear_of(l, Gpt2Linear::attn_c_proj).forward(a.attended));
    a.x_mid = x;
    const Normalized n2 = layernorm(x, w.ln_2, eps);
    a.mean_2 = n2.mean, a.rstd_2 = n2.rstd;
    a.fc = linear_of(l, Gpt2Linear::c_fc).forward(n2.out);
    x = sum_of(x, linear_of(l, Gpt2Linear::mlp_c_proj).forward(gelu(a.fc)));
  }
  const Normalized final_norm = layernorm(x, weights.ln_f, eps);

  // The head and the loss, with the gradient of the final hidden states.
  const bool need_dx = lowest_trained_layer_ < config.num_hidden_layers ||
                       grads_.ln_f.weight.defined() || grads_.ln_f.bias.defined();
  const Tensor dhidden = need_dx ? empty({N, C}, device) : Tensor();
  phase.emplace(profile::Phase::output_head);
  // Read once the backward is queued: reading waits for the device.
  const Tensor loss =
      output_head_loss("Gpt2Training", final_norm.out, weights.lm_head, grads_.lm_head,
                       batch.labels, host_labels, teacher, dloss, dhidden);
  if (!need_dx) return loss.to_f32_vector()[0];
  phase.emplace(profile::Phase::backward);
  const Tensor dx = empty({N, C}, device);  // the residual stream's gradient
  layernorm_backward(dhidden, x, weights.ln_f, final_norm.mean, final_norm.rstd, grads_.ln_f, dx,
                     false);

  const auto lowest = static_cast<size_t>(std::max<int64_t>(lowest_trained_layer_, 0));
  for (size_t l = layers; l-- > lowest;) {
    const Gpt2LayerWeights& w = weights.layers[l];
    const Gpt2LayerWeights& gw = grads_.layers[l];
    const BlockActivations& a = saved[l];
    const bool below = l > lowest || lowest_trained_layer_ < 0;  // dx of the input is needed

    // MLP: x = x_mid + c_proj(gelu(c_fc(g))), g = ln_2(x_mid).
    // The linears' inputs are computed again only where their backward reads them.
    const TrainableLinear c_proj = linear_of(l, Gpt2Linear::mlp_c_proj);
    const Tensor dactivated = empty(a.fc.shape(), device);
    c_proj.backward(c_proj.needs_input() ? gelu(a.fc) : Tensor(), dx, dactivated, false);
    const Tensor dfc = empty(a.fc.shape(), device);
    ops::gelu_backward(a.fc, dactivated, dfc, ops::GeluApproximation::tanh);
    const Tensor dg = empty({N, C}, device);
    const TrainableLinear c_fc = linear_of(l, Gpt2Linear::c_fc);
    c_fc.backward(c_fc.needs_input() ? layernorm(a.x_mid, w.ln_2, eps).out : Tensor(), dfc, dg,
                  false);
    layernorm_backward(dg, a.x_mid, w.ln_2, a.mean_2, a.rstd_2, gw.ln_2, dx, true);

    // Attention: x_mid = x + c_proj(attention(q, k, v)), q | k | v = c_attn(ln_1(x)).
    const Tensor dattended = empty(a.attended.shape(), device);
    linear_of(l, Gpt2Linear::attn_c_proj).backward(a.attended, dx, dattended, false);
    const Tensor dq = empty(a.q.shape(), device);
    const Tensor dk = empty(a.k.shape(), device);
    const Tensor dv = empty(a.v.shape(), device);
    ops::attention_backward(dattended.reshape({B, T, H, D}), a.q, a.k, a.v,
                            a.attended.reshape({B, T, H, D}), a.lse, doc_ids, scale, {dq, dk, dv});
    const Tensor dqkv = empty({N, 3 * C}, device);
    dqkv.slice(1, 0, C).copy_from(dq.reshape({N, C}));
    dqkv.slice(1, C, 2 * C).copy_from(dk.reshape({N, C}));
    dqkv.slice(1, 2 * C, 3 * C).copy_from(dv.reshape({N, C}));
    const bool input_norm_trains = gw.ln_1.weight.defined() || gw.ln_1.bias.defined();
    const Tensor dh = below || input_norm_trains ? empty({N, C}, device) : Tensor();
    const TrainableLinear c_attn = linear_of(l, Gpt2Linear::c_attn);
    c_attn.backward(c_attn.needs_input() ? layernorm(a.x, w.ln_1, eps).out : Tensor(), dqkv, dh,
                    false);
    if (dh.defined()) layernorm_backward(dh, a.x, w.ln_1, a.mean_1, a.rstd_1, gw.ln_1, dx, true);
  }
  if (lowest_trained_layer_ < 0) {
    ops::embedding_backward(ids, dx, grads_.wte);
    ops::embedding_backward(position_ids, dx, grads_.wpe);
  }
  phase.reset();  // the wait for the device is no phase's
  return loss.to_f32_vector()[0];
}

}  // namespace retune::model
