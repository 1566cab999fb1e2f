// TrainingStep: one architecture's training forward and backward on a micro-batch
// (model/llama_training.h, model/gpt2_training.h), as the trainer sees it: with the
// cross-entropy against the batch's labels, or with the KL divergence from a teacher's
// predictions (self-distillation, train/self_distillation.h). Both run the same forward and
// backward; only the loss on top of the output head differs.
#pragma once

#include "core/tensor.h"
#include "model/token_batch.h"

namespace retune::model {

// What the model is distilled toward on a micro-batch of B rows of T tokens: the teacher's
// final hidden states (after the final norm) for the same rows and its output head. The
// teacher's predictions are softmax(hidden head^T / temperature).
struct DistillationTeacher {
  Tensor hidden;  // f32 [B, T, C], contiguous
  Tensor head;    // [V, C]: f32, bf16 or f16; may be the model's own head when it is frozen
  float temperature = 1.0f;  // τ > 0
};

class TrainingStep {
 public:
  virtual ~TrainingStep() = default;
  // Forward and backward of one micro-batch: returns its mean loss over the scored tokens and
  // adds dloss times the gradient of that mean to every trained gradient.
  virtual float step(const TokenBatch& batch, float dloss = 1.0f) = 0;
  // The same with the self-distillation loss instead of the cross-entropy: τ² KL(p_teacher ||
  // p_model) averaged over the scored tokens (labels other than -100; their values are not
  // read), p = softmax(logits / τ) (ops/kl_divergence_head.h). Returns that loss and adds dloss
  // times its gradient to every trained gradient.
  virtual float distill_step(const TokenBatch& rows, const DistillationTeacher& teacher,
                             float dloss) = 0;
};

}  // namespace retune::model
