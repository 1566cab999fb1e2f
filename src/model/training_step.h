// TrainingStep: one architecture's training forward and backward on a micro-batch
// (model/llama_training.h, model/gpt2_training.h), as the trainer sees it.
#pragma once

#include "model/token_batch.h"

namespace retune::model {

class TrainingStep {
 public:
  virtual ~TrainingStep() = default;
  // Forward and backward of one micro-batch: returns its mean loss over the scored tokens and
  // adds dloss times the gradient of that mean to every trained gradient.
  virtual float step(const TokenBatch& batch, float dloss = 1.0f) = 0;
};

}  // namespace retune::model
