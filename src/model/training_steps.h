// Small steps shared by the architectures' training graphs (model/*_training.cpp,
// model/trainable_linear.cpp).
#pragma once

#include "core/tensor.h"
#include "model/training_step.h"

namespace retune::model {

// to += from, elementwise; both f32 of the same shape, contiguous.
void add_into(const Tensor& to, const Tensor& from);

// a + b, elementwise, a new tensor; both f32 of the same shape, contiguous (the residual add of
// a block, which keeps its input).
Tensor sum_of(const Tensor& a, const Tensor& b);

// bias_grad[o] += sum over rows n of dy[n, o]; dy f32 [N, O] contiguous, bias_grad f32 [O].
void add_column_sums(const Tensor& dy, const Tensor& bias_grad);

// The loss on top of a training step's forward, fused with the output head: the cross-entropy
// against labels i32 [B, T] (ops/cross_entropy_head.h), or, with a teacher, the distillation
// KL divergence from it (ops/kl_divergence_head.h; labels then only mask the rows, and
// teacher->hidden must be f32 [B, T, C]). hidden f32 [N = B*T, C] are the final hidden states;
// head [V, C] the output head and head_grad its gradient (undefined: frozen), added to. Writes
// dloss times the gradient of the loss for the hidden states into dhidden [N, C] (undefined:
// not needed) and returns the loss. `model` names the caller in errors ("LlamaTraining").
float output_head_loss(const char* model, const Tensor& hidden, const Tensor& head,
                       const Tensor& head_grad, const Tensor& labels,
                       const DistillationTeacher* teacher, float dloss, const Tensor& dhidden);

// The lowest layer whose backward anything trained needs: the lowest layer l for which
// `layer_trains(l)` holds, -1 when the embedding trains (`embedding_trains`), `layers` when
// nothing below the head does.
template <typename LayerTrains>
int64_t lowest_trained_layer(int64_t layers, bool embedding_trains, LayerTrains layer_trains) {
  if (embedding_trains) return -1;
  for (int64_t l = 0; l < layers; ++l) {
    if (layer_trains(l)) return l;
  }
  return layers;
}

}  // namespace retune::model
