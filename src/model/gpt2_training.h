// Gpt2Training: the training step of GPT2LMHeadModel on one micro-batch — the forward that
// keeps what the backward reads, the fused output head and cross-entropy (or the distillation KL
// divergence), and the backward by hand, block by block in reverse (model/gpt2_model.h has the
// block's equations). As for LlamaTraining (model/llama_training.h): `grads` is a Gpt2Weights whose
// defined tensors are the f32 gradients of the weights that train (undefined: frozen; with tied
// embeddings lm_head's gradient is wte's gradient tensor itself), adapters come from the model
// (Gpt2Model::set_adapter), trained weights are owned f32 tensors in the model, and every
// gradient nobody trains is skipped. The step runs on the device of the model's weights (the
// batch must be there), with f32 activations. Each position of the batch must be in [0, P), P the
// learned positions: the default ones (0 .. T-1) are checked by T; a batch's own by the CPU's
// embedding, while a GPU does not read them back (a trainer's packed positions restart at each
// example, below the row length, which training_run.cpp checks against P).
#pragma once

#include "core/tensor.h"
#include "model/gpt2_model.h"
#include "model/token_batch.h"
#include "model/training_step.h"

namespace retune::model {

class Gpt2Training final : public TrainingStep {
 public:
  // `model` must outlive this; gradients accumulate into `grads`.
  Gpt2Training(const Gpt2Model& model, Gpt2Weights grads);

  // Forward and backward of one micro-batch: returns its mean loss over the scored tokens and
  // adds dloss times the gradient of that mean to every trained gradient.
  float step(const TokenBatch& batch, float dloss = 1.0f) override;
  // The same with the distillation loss toward `teacher` (model/training_step.h).
  float distill_step(const TokenBatch& rows, const DistillationTeacher& teacher,
                     float dloss) override;

  const Gpt2Weights& grads() const { return grads_; }

 private:
  // The forward and backward under the cross-entropy (teacher null) or the distillation loss.
  float train(const TokenBatch& batch, const DistillationTeacher* teacher, float dloss);

  const Gpt2Model& model_;
  Gpt2Weights grads_;
  int64_t lowest_trained_layer_;  // no input gradient is needed below this layer
};

}  // namespace retune::model
