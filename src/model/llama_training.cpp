#include "model/llama_training.h"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/profile.h"
#include "model/forward_steps.h"
#include "model/trainable_linear.h"
#include "model/training_steps.h"
#include "ops/attention.h"
#include "ops/embedding.h"
#include "ops/rmsnorm.h"
#include "ops/rope.h"
#include "ops/swiglu.h"

namespace retune::model {
namespace {

// What a layer's backward reads, kept by its forward. Shapes: N = B*T tokens, C hidden, F the
// MLP width, Hq / Hkv heads of D dims. The norms' outputs (the inputs of q/k/v and gate/up) and
// swiglu's (down's input) are not kept: the backward computes them again from x, x_mid and
// gate, up (the same bits), which costs ~1% of a step and saves 2C + F floats per token.
struct LayerActivations {
  Tensor x;          // [N, C]   the layer's input (the residual stream)
  Tensor rstd_in;    // [N]      input_layernorm's
  Tensor q_raw;      // [N*Hq, D] q before q_norm (Qwen3), else undefined
  Tensor k_raw;      // [N*Hkv, D]
  Tensor rstd_q;     // [N*Hq]
  Tensor rstd_k;     // [N*Hkv]
  Tensor q;          // [B, T, Hq, D] rotated
  Tensor k;          // [B, T, Hkv, D] rotated
  Tensor v;          // [B, T, Hkv, D]
  Tensor attended;   // [N, Hq*D] attention's output: o_proj's input
  Tensor lse;        // [B, Hq, T]
  Tensor x_mid;      // [N, C]   after the attention's residual add
  Tensor rstd_post;  // [N]
  Tensor gate;       // [N, F]   f32 or bf16 (Bf16Activations), as up
  Tensor up;         // [N, F]
};

// One layer's linears in training, and the dtypes of the norms' outputs that feed them: h, the
// input norm's, feeds q, k and v; g, the post-attention norm's, gate and up. gate's and up's
// output dtype is that of the MLP's activations.
struct LayerLinears {
  TrainableLinear q, k, v, o, gate, up, down;
  DType h = DType::f32;
  DType g = DType::f32;
};

// A new f32 tensor of `shape` on `device`.
Tensor empty(const Shape& shape, Device device) {
  return Tensor::empty(shape, DType::f32, device);
}

// swiglu(gate, up), a new tensor of gate's dtype.
Tensor swiglu(const Tensor& gate, const Tensor& up) {
  Tensor out = Tensor::empty(gate.shape(), gate.dtype(), gate.device());
  ops::swiglu_forward(gate, up, out);
  return out;
}

// RMSNorm of x [R, W] with weight [W]: the output (of `dtype`) and rstd [R], new tensors.
std::pair<Tensor, Tensor> rmsnorm(const Tensor& x, const Tensor& weight, double eps,
                                  DType dtype = DType::f32) {
  Tensor out = Tensor::empty(x.shape(), dtype, x.device());
  Tensor rstd = empty({x.size(0)}, x.device());
  ops::rmsnorm_forward(x, weight, out, rstd, static_cast<float>(eps));
  return {std::move(out), std::move(rstd)};
}

}  // namespace

LlamaTraining::LlamaTraining(const LlamaModel& model, LlamaWeights grads,
                             Bf16Activations bf16_activations)
    : model_(model),
      grads_(std::move(grads)),
      rope_inv_freq_(on_device(model.rope_inv_freq(), model.weights().embed_tokens.device())),
      bf16_activations_(bf16_activations) {
  const ModelConfig& config = model.config();
  RETUNE_CHECK(static_cast<int64_t>(grads_.layers.size()) == config.num_hidden_layers,
               "LlamaTraining: gradients for {} layers, the model has {}", grads_.layers.size(),
               config.num_hidden_layers);
  lowest_trained_layer_ =
      lowest_trained_layer(config.num_hidden_layers, grads_.embed_tokens.defined(), [&](int64_t l) {
        const LlamaLayerWeights& layer = grads_.layers[static_cast<size_t>(l)];
        bool trained = layer.input_norm.defined() || layer.post_attention_norm.defined() ||
                       layer.q_norm.defined() || layer.k_norm.defined();
        for (const LlamaLinear linear : kLlamaLinears) {
          trained = trained || llama_linear_weight(layer, linear).defined() ||
                    llama_linear_bias(layer, linear).defined() || model.adapter(l, linear);
        }
        return trained;
      });
}

float LlamaTraining::step(const TokenBatch& batch, float dloss) {
  return train(batch, nullptr, dloss);
}

float LlamaTraining::distill_step(const TokenBatch& rows, const DistillationTeacher& teacher,
                                  float dloss) {
  return train(rows, &teacher, dloss);
}

float LlamaTraining::train(const TokenBatch& batch, const DistillationTeacher* teacher,
                           float dloss) {
  const ModelConfig& config = model_.config();
  const LlamaWeights& weights = model_.weights();
  const Tensor positions = checked_positions("LlamaTraining", batch.input_ids, batch.positions, 0);
  const int64_t B = batch.input_ids.size(0);
  const int64_t T = batch.input_ids.size(1);
  const int64_t N = B * T;
  const int64_t C = config.hidden_size;
  const int64_t D = config.head_dim;
  const int64_t Hq = config.num_attention_heads;
  const int64_t Hkv = config.num_key_value_heads;
  const double eps = config.rms_norm_eps;
  const auto scale = static_cast<float>(std::pow(static_cast<double>(D), -0.5));
  const Tensor doc_ids = batch.doc_ids.defined() ? batch.doc_ids.contiguous() : Tensor();
  const auto layers = static_cast<size_t>(config.num_hidden_layers);
  const Device device = weights.embed_tokens.device();
  const Tensor host_labels = begin_training_step("LlamaTraining", batch, device, model_.adapters());

  // The linear `linear` of layer l with its weights, adapter and wanted gradients.
  const auto linear_of = [&](size_t l, LlamaLinear linear) {
    return TrainableLinear{.weight = llama_linear_weight(weights.layers[l], linear),
                           .bias = llama_linear_bias(weights.layers[l], linear),
                           .adapter = model_.adapter(static_cast<int64_t>(l), linear),
                           .weight_grad = llama_linear_weight(grads_.layers[l], linear),
                           .bias_grad = llama_linear_bias(grads_.layers[l], linear)};
  };
  // Layer l's linears and the dtypes of the activations between them (see Bf16Activations): bf16
  // where every linear an activation feeds takes it.
  const bool bf16 = bf16_activations_ == Bf16Activations::everywhere ||
                    (bf16_activations_ == Bf16Activations::on_gpu && !device.is_cpu());
  const auto linears_of = [&](size_t l) {
    LayerLinears in{.q = linear_of(l, LlamaLinear::q_proj),
                    .k = linear_of(l, LlamaLinear::k_proj),
                    .v = linear_of(l, LlamaLinear::v_proj),
                    .o = linear_of(l, LlamaLinear::o_proj),
                    .gate = linear_of(l, LlamaLinear::gate_proj),
                    .up = linear_of(l, LlamaLinear::up_proj),
                    .down = linear_of(l, LlamaLinear::down_proj)};
    if (!bf16) return in;
    if (in.q.takes_bf16_input() && in.k.takes_bf16_input() && in.v.takes_bf16_input()) {
      in.h = DType::bf16;
    }
    if (in.gate.takes_bf16_input() && in.up.takes_bf16_input()) in.g = DType::bf16;
    if (in.gate.can_output_bf16() && in.up.can_output_bf16() && in.down.takes_bf16_input()) {
      in.gate.output = in.up.output = DType::bf16;
    }
    return in;
  };

  // Forward, keeping each layer's activations.
  std::optional<profile::PhaseScope> phase(std::in_place, profile::Phase::forward);
  std::vector<LayerActivations> saved(layers);
  Tensor x = empty({N, C}, device);
  ops::embedding_forward(batch.input_ids.contiguous().reshape({N}), weights.embed_tokens, x);
  for (size_t l = 0; l < layers; ++l) {
    const LlamaLayerWeights& w = weights.layers[l];
    LayerActivations& a = saved[l];
    a.x = x;
    const LayerLinears in = linears_of(l);
    Tensor h;
    std::tie(h, a.rstd_in) = rmsnorm(x, w.input_norm, eps, in.h);
    Tensor q = in.q.forward(h);
    Tensor k = in.k.forward(h);
    a.v = in.v.forward(h).reshape({B, T, Hkv, D});
    if (config.qk_norm) {
      a.q_raw = q.reshape({N * Hq, D});
      a.k_raw = k.reshape({N * Hkv, D});
      std::tie(q, a.rstd_q) = rmsnorm(a.q_raw, w.q_norm, eps);
      std::tie(k, a.rstd_k) = rmsnorm(a.k_raw, w.k_norm, eps);
    }
    a.q = q.reshape({B, T, Hq, D});
    a.k = k.reshape({B, T, Hkv, D});
    ops::rope_forward(a.q, positions, rope_inv_freq_, a.q);
    ops::rope_forward(a.k, positions, rope_inv_freq_, a.k);
    a.attended = empty({N, Hq * D}, device);
    a.lse = empty({B, Hq, T}, device);
    ops::attention_forward(a.q, a.k, a.v, doc_ids, scale, a.attended.reshape({B, T, Hq, D}), a.lse);
    x = sum_of(x, in.o.forward(a.attended));
    a.x_mid = x;
    Tensor g;
    std::tie(g, a.rstd_post) = rmsnorm(x, w.post_attention_norm, eps, in.g);
    a.gate = in.gate.forward(g);
    a.up = in.up.forward(g);
    x = sum_of(x, in.down.forward(swiglu(a.gate, a.up)));
  }
  const auto [final_hidden, rstd_final] = rmsnorm(x, weights.norm, eps);

  // The head and the loss, with the gradient of the final hidden states.
  const bool need_dx = lowest_trained_layer_ < config.num_hidden_layers || grads_.norm.defined();
  Tensor dx = need_dx ? empty({N, C}, device) : Tensor();
  const Tensor dhidden = need_dx ? empty({N, C}, device) : Tensor();
  phase.emplace(profile::Phase::output_head);
  // Read once the backward is queued: reading waits for the device.
  const Tensor loss =
      output_head_loss("LlamaTraining", final_hidden, weights.lm_head, grads_.lm_head, batch.labels,
                       host_labels, teacher, dloss, dhidden);
  if (!need_dx) return loss.to_f32_vector()[0];
  phase.emplace(profile::Phase::backward);
  ops::rmsnorm_backward(dhidden, x, weights.norm, rstd_final, dx, grads_.norm);

  // Backward, layer by layer in reverse, down to the lowest layer that trains. dx is the
  // gradient of the residual stream.
  const auto lowest = static_cast<size_t>(std::max<int64_t>(lowest_trained_layer_, 0));
  for (size_t l = layers; l-- > lowest;) {
    const LlamaLayerWeights& w = weights.layers[l];
    const LlamaLayerWeights& gw = grads_.layers[l];
    const LayerActivations& a = saved[l];
    const bool below = l > lowest || lowest_trained_layer_ < 0;  // dx of the input is needed

    // MLP: x = x_mid + down(swiglu(gate(g), up(g))), g = rmsnorm(x_mid). The gradients of gate,
    // up and swiglu's output have their dtype.
    const LayerLinears in = linears_of(l);
    // The linears' inputs are computed again only where their backward reads them.
    const Tensor dactivated = Tensor::empty(a.gate.shape(), a.gate.dtype(), device);
    in.down.backward(in.down.needs_input() ? swiglu(a.gate, a.up) : Tensor(), dx, dactivated,
                     false);
    const Tensor dgate = Tensor::empty(a.gate.shape(), a.gate.dtype(), device);
    const Tensor dup = Tensor::empty(a.up.shape(), a.up.dtype(), device);
    ops::swiglu_backward(a.gate, a.up, dactivated, dgate, dup);
    const Tensor dg = empty({N, C}, device);
    const Tensor g = in.gate.needs_input() || in.up.needs_input()
                         ? rmsnorm(a.x_mid, w.post_attention_norm, eps, in.g).first
                         : Tensor();
    in.gate.backward(g, dgate, dg, false);
    in.up.backward(g, dup, dg, true);
    ops::rmsnorm_backward(dg, a.x_mid, w.post_attention_norm, a.rstd_post, dx,
                          gw.post_attention_norm, true);

    // Attention: x_mid = x + o(attention(rope(q(h)), rope(k(h)), v(h))), h = rmsnorm(x).
    const Tensor dattended = empty(a.attended.shape(), device);
    in.o.backward(a.attended, dx, dattended, false);
    const Tensor dq = empty(a.q.shape(), device);
    const Tensor dk = empty(a.k.shape(), device);
    const Tensor dv = empty(a.v.shape(), device);
    ops::attention_backward(dattended.reshape({B, T, Hq, D}), a.q, a.k, a.v,
                            a.attended.reshape({B, T, Hq, D}), a.lse, doc_ids, scale, {dq, dk, dv});
    ops::rope_backward(dq, positions, rope_inv_freq_, dq);
    ops::rope_backward(dk, positions, rope_inv_freq_, dk);
    Tensor dq_raw = dq.reshape({N, Hq * D});
    Tensor dk_raw = dk.reshape({N, Hkv * D});
    if (config.qk_norm) {
      dq_raw = empty({N, Hq * D}, device);
      dk_raw = empty({N, Hkv * D}, device);
      ops::rmsnorm_backward(dq.reshape({N * Hq, D}), a.q_raw, w.q_norm, a.rstd_q,
                            dq_raw.reshape({N * Hq, D}), gw.q_norm);
      ops::rmsnorm_backward(dk.reshape({N * Hkv, D}), a.k_raw, w.k_norm, a.rstd_k,
                            dk_raw.reshape({N * Hkv, D}), gw.k_norm);
    }
    const Tensor dh = below || gw.input_norm.defined() ? empty({N, C}, device) : Tensor();
    const Tensor h = in.q.needs_input() || in.k.needs_input() || in.v.needs_input()
                         ? rmsnorm(a.x, w.input_norm, eps, in.h).first
                         : Tensor();
    in.q.backward(h, dq_raw, dh, false);
    in.k.backward(h, dk_raw, dh, true);
    in.v.backward(h, dv.reshape({N, Hkv * D}), dh, true);
    if (dh.defined()) {
      ops::rmsnorm_backward(dh, a.x, w.input_norm, a.rstd_in, dx, gw.input_norm, true);
    }
  }
  if (lowest_trained_layer_ < 0) {
    ops::embedding_backward(batch.input_ids.contiguous().reshape({N}), dx, grads_.embed_tokens);
  }
  phase.reset();  // the wait for the device is no phase's
  return loss.to_f32_vector()[0];
}

}  // namespace retune::model
