// LlamaTraining: the training step of a Llama-family model (LlamaForCausalLM, Qwen2, Qwen3) on
// one micro-batch — the forward that keeps what the backward reads, the fused output head and
// cross-entropy (or the distillation KL divergence), and the backward by hand, layer by layer in
// reverse (model/llama_model.h has the layer's equations). Every gradient nobody trains is skipped:
// frozen weights get no weight gradient, and the input gradient stops at the lowest layer anything
// below still needs.
//
// What trains is given by `grads`, a LlamaWeights whose defined tensors are f32 gradients of
// the same shapes as the weights they belong to (undefined: frozen), and by the adapters
// attached to the model (LlamaModel::set_adapter). The weights that train must be owned f32
// tensors in the model (LlamaModel::mutable_weights) that the optimizer updates in place; with
// tied embeddings, lm_head's gradient must be embed_tokens' gradient tensor itself.
#pragma once

#include "core/tensor.h"
#include "model/bf16_activations.h"
#include "model/llama_model.h"
#include "model/token_batch.h"
#include "model/training_step.h"

namespace retune::model {

class LlamaTraining final : public TrainingStep {
 public:
  // `model` must outlive this; `grads` as described above (gradients accumulate into them).
  LlamaTraining(const LlamaModel& model, LlamaWeights grads,
                Bf16Activations bf16_activations = Bf16Activations::on_gpu);

  // Forward and backward of one micro-batch: returns its mean loss over the scored tokens and
  // adds dloss times the gradient of that mean to every trained gradient (dloss: this
  // micro-batch's share when several make one step's mean, e.g. its scored tokens / all).
  float step(const TokenBatch& batch, float dloss = 1.0f) override;
  // The same with the distillation loss toward `teacher` (model/training_step.h).
  float distill_step(const TokenBatch& rows, const DistillationTeacher& teacher,
                     float dloss) override;

  const LlamaWeights& grads() const { return grads_; }

 private:
  // The forward and backward under the cross-entropy (teacher null) or the distillation loss.
  float train(const TokenBatch& batch, const DistillationTeacher* teacher, float dloss);

  const LlamaModel& model_;
  LlamaWeights grads_;
  Tensor rope_inv_freq_;          // the model's, on the device of its weights
  int64_t lowest_trained_layer_;  // no input gradient is needed below this layer
  Bf16Activations bf16_activations_;
};

}  // namespace retune::model
