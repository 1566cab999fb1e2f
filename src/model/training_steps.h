// Small steps shared by the architectures' training graphs (model/*_training.cpp,
// model/trainable_linear.cpp).
#pragma once

#include "core/tensor.h"
#include "model/adapter_table.h"
#include "model/token_batch.h"
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
// not needed) and returns the loss, f32 [1] on hidden's device: reading it waits for the head's
// kernels, so a GPU step reads it only after queueing its backward. host_labels, when defined,
// is labels' copy on the host, which the cross-entropy's checks (and on a GPU the KL head's count
// of scored rows) read (see ops::cross_entropy_head_forward_backward). `model` names the caller in
// errors ("LlamaTraining").
Tensor output_head_loss(const char* model, const Tensor& hidden, const Tensor& head,
                        const Tensor& head_grad, const Tensor& labels, const Tensor& host_labels,
                        const DistillationTeacher* teacher, float dloss, const Tensor& dhidden);

// The start of a training step on `device`, the model's: checks that the batch is there with
// labels i32 [B, T] (B, T: input_ids') and host_labels, when defined, their i32 copy on the CPU;
// on a GPU, readies the bf16 copies of the adapters' weights for their products all at once (they
// changed with the last optimizer step). Returns the labels' host copy the head's checks read:
// undefined on the CPU; on a GPU batch.host_labels, or a copy made now, before the forward is
// queued (it waits for the work queued before; at the head it would wait for the whole forward
// too). `model` names the caller in errors ("LlamaTraining").
Tensor begin_training_step(const char* model, const TokenBatch& batch, Device device,
                           const AdapterTable& adapters);

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
