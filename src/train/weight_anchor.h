// WeightAnchor: penalties that pull the trained tensors back toward θ0, their values before the
// first step — the pretrained weights for full fine-tuning, bitfit, norm tuning and
// modules_to_save; the freshly initialised adapter for LoRA (B0 = 0, so there the pull is
// toward ΔW = 0, the pretrained model).
//
//   L2-SP (Li, Grandvalet, Davoine 2018, "Explicit inductive bias for transfer learning"):
//       Ω = l2sp / 2 · Σ (θ − θ0)²
//   EWC (Kirkpatrick et al. 2017), with a diagonal Fisher F estimated on retain data at θ0:
//       Ω = ewc / 2 · Σ F ⊙ (θ − θ0)²
// Their gradients, l2sp · (θ − θ0) and ewc · F ⊙ (θ − θ0), are added to each parameter's
// gradient after the step's micro-batches and before clipping (the loss the trainer reports
// stays the data loss; the penalty is reported beside it).
//
// The Fisher is the model's own, as EWC defines it: F = mean over n retain rows of g_r², g_r the
// gradient of row r's mean token loss at θ0 with each scored token's label replaced by a sample
// from the model's predicted distribution there (one row per backward pass). The empirical
// Fisher (the data's labels) would vanish exactly where it matters: on data the model already
// fits, whose gradients are near zero.
//
// Both run on the trained tensors' device (ops/anchor_penalty.h), the Fisher's backward passes
// too: on a GPU only each row's logits (to draw its labels) and the labels go through the host.
//
// Memory: a copy of every trained tensor (θ0), and with EWC another (F), on their device.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/batch_stream.h"
#include "model/causal_lm.h"
#include "model/training_step.h"
#include "train/optimizer.h"

namespace retune::train {

class WeightAnchor {
 public:
  // Copies θ0 from the parameters' current values; l2sp, ewc >= 0.
  WeightAnchor(const std::vector<Parameter>& parameters, double l2sp, double ewc);

  // The diagonal Fisher, one tensor per parameter in order, each of its parameter's shape.
  void set_fisher(std::vector<Tensor> fisher);
  const std::vector<Tensor>& fisher() const { return fisher_; }

  // Adds the penalties' gradients to every parameter's gradient and returns Ω at the current
  // values. `parameters` are the ones the anchor was made from.
  double add_gradients(const std::vector<Parameter>& parameters) const;

 private:
  std::vector<Tensor> start_;   // θ0
  std::vector<Tensor> fisher_;  // F; empty until set
  double l2sp_;
  double ewc_;
};

// Replaces every scored label (>= 0) of a row, i32 [1, T], by a token drawn with `rng` from
// softmax(logits[0, t]), logits f32 [1, T, V]; unscored labels (-100) stay.
void sample_model_labels(const Tensor& logits, const Tensor& labels, Rng& rng);

// The diagonal Fisher at the parameters' current values over the next `rows` rows of
// `rows_stream` (batch size 1, rows without packing): labels sampled with Rng(seed) from
// `model`'s logits (the model `step` trains, at inference: no dropout), each row's gradient by
// `step`, squared, averaged. Leaves every gradient zero. Rows with no scored token are skipped.
// The Fisher is on the parameters' device; the model (and so `step`) is on its own, which the
// rows are copied to.
std::vector<Tensor> diagonal_fisher(const model::CausalLm& model, model::TrainingStep& step,
                                    const std::vector<Parameter>& parameters,
                                    BatchStream& rows_stream, int64_t rows, uint64_t seed);

}  // namespace retune::train
