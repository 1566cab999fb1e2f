// SelfDistillation: the forgetting control that keeps the model's predictions on retain data
// close to the base model's (METHODS.md B5; Li & Hoiem's "Learning without Forgetting",
// Hinton et al.'s distillation). Every optimizer step also runs one micro-batch of retain rows
// and adds the gradient of
//
//     λ · τ² · KL(p_base || p_model),  p = softmax(logits / τ)
//
// averaged over the rows' scored tokens (model/training_step.h: distill_step), after the task's
// micro-batches and before clipping.
//
// The base's predictions are computed once, when this is constructed: before the first step
// (and on resume before the checkpoint's weights are loaded, since they depend only on the
// base). For adapters the base is the model with its adapter at initialisation (LoRA's B = 0:
// exactly the pretrained model). What is kept is the base's final hidden states for the rows
// and its output head: the model's own frozen head (no copy) unless the head trains (full
// fine-tuning, modules_to_save lm_head), then a copy of it as it starts. The rows are used
// `batch_size` at a time in order, cycling; a checkpoint saves the cursor (training_run.cpp: as
// "distill_position" in its run state).
//
// Memory: rows · T · C f32 for the hidden states (64 rows of 1024 tokens at C = 4096: 1 GiB),
// rows · T · 4 i32 for the rows themselves, and with a trained head a copy of it (V · C f32; bf16
// on a GPU, whose products read it so).
// The model may be on a GPU: the rows and hidden states stay on the host (a micro-batch's go to
// the GPU for its step), the head's copy is on the GPU beside the head.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "data/batch_stream.h"
#include "model/causal_lm.h"
#include "model/training_step.h"

namespace retune::train {

struct DistillationOptions {
  double weight = 0;         // λ > 0
  double temperature = 1;    // τ > 0
  int64_t rows = 64;         // the retain rows the base's outputs are kept for (fewer if fewer)
  int64_t batch_size = 1;    // rows per distillation micro-batch
  bool head_trains = false;  // keep a copy of the head: the model's own will change
};

class SelfDistillation {
 public:
  // Runs `model` as it is now on the first min(options.rows, its rows in an epoch) rows of
  // `rows_stream` (rows without packing, not shuffled), batch_size rows at a time. Throws when
  // the options are out of range.
  SelfDistillation(const model::CausalLm& model, BatchStream& rows_stream,
                   const DistillationOptions& options);

  // Runs the next micro-batch through `step` with dloss = λ (its gradients added to the
  // trained gradients) and returns its loss τ² KL, before the weight λ.
  double add_gradients(model::TrainingStep& step);

  int64_t rows() const { return rows_.input_ids.size(0); }
  // The first row of the next micro-batch, in [0, rows()); a checkpoint saves it.
  int64_t cursor() const { return cursor_; }
  void set_cursor(int64_t cursor);

 private:
  DistillationOptions options_;
  Batch rows_;     // i32 [R, T] each
  Tensor hidden_;  // f32 [R, T, C]: the base's final hidden states
  Tensor head_;    // [V, C]: the base's output head
  int64_t cursor_ = 0;
};

}  // namespace retune::train
