// Trainer: the step loop of `retune train` — micro-batches and gradient accumulation, gradient
// clipping, the learning-rate schedule and the optimizer step, with hooks for logging,
// evaluation and checkpoints.
//
// One optimizer step takes `grad_accum` micro-batches from the stream. Its loss is the mean over
// every scored token of those micro-batches (transformers' Trainer since 4.46: the sum of token
// losses over the step divided by their count), so micro-batch i of the step runs with
// dloss = its scored tokens / the step's. The gradient norm is clipped to max_grad_norm (<= 0:
// only measured); a step whose loss or gradient norm is not finite is not applied (its
// gradients are dropped) and counted. A penalty hook (train/weight_anchor.h: L2-SP, EWC) adds its
// gradients after the micro-batches, before clipping, and so does a distillation hook
// (train/self_distillation.h), which runs its micro-batch before the penalty. The learning rate of
// step s (0-based) is learning_rate(schedule, s).
//
// Nothing depends on the thread count but the sums inside the kernels, so the same config and
// thread count give the same numbers, and a run resumed from a checkpoint (the optimizer's and
// the stream's state, and `first_step`) continues bitwise as if it had never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/error.h"
#include "data/batch_source.h"
#include "model/training_step.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace retune::train {

struct TrainerOptions {
  int64_t steps = 0;              // optimizer steps in all
  int64_t grad_accum = 1;         // micro-batches per optimizer step
  double max_grad_norm = 1.0;     // <= 0: no clipping
  LrSchedule schedule;            // its total_steps is `steps`
  int64_t max_skipped_steps = 0;  // non-finite steps tolerated (skipped) before training stops
  int64_t skipped_before = 0;     // non-finite steps skipped before first_step (a resumed run's)
  Device device = Device::cpu();  // where the model's steps run: micro-batches are copied there
  // Adds a penalty's gradients to the parameters' and returns its value; none: no penalty.
  std::function<double()> add_penalty;
  // Runs a distillation micro-batch, adding its gradients, and returns its loss; none: none.
  std::function<double()> add_distillation;
  // Called with the step (0-based) before its micro-batches (IST's layer selection); none: none.
  std::function<void(int64_t step)> before_step;
  // Called with each micro-batch before its forward (a Poly adapter's task routes); none: none.
  std::function<void(const Batch&)> before_batch;
  // Keeps the gradient entries that may train (a sparse mask's), once the step's micro-batches,
  // distillation and penalty have added theirs, before clipping; none: every entry trains.
  std::function<void()> mask_gradients;
};

// What one optimizer step did.
struct StepReport {
  int64_t step = 0;           // 1-based: the steps done after this one
  double loss = 0;            // the step's mean loss over its scored tokens
  double penalty = 0;         // the penalty's value before the update (0 without one)
  double distill = 0;         // the distillation loss before the update (0 without one)
  double lr = 0;              // the learning rate it ran with
  double grad_norm = 0;       // before clipping
  int64_t tokens = 0;         // input tokens of its micro-batches (B * T each)
  int64_t target_tokens = 0;  // scored tokens
  double seconds = 0;         // wall time of the step
  bool skipped = false;       // not applied: the loss or the gradient norm was not finite
};

// Thrown by Trainer::run when more than max_skipped_steps steps were not finite.
class NonFiniteStop : public Error {
 public:
  using Error::Error;
};

class Trainer {
 public:
  // All three must outlive the trainer. `data` hands out micro-batches of [B, T].
  Trainer(model::TrainingStep& step, Optimizer& optimizer, BatchSource& data,
          const TrainerOptions& options);

  // Runs the steps after `first_step` (the steps a resumed run has done) up to options.steps,
  // calling after_step after each one; after_step returns false to stop early (a forgetting
  // budget, a signal). Throws NonFiniteStop when more than max_skipped_steps steps were not
  // finite, naming the last one (its gradients dropped, nothing of it applied).
  void run(int64_t first_step, const std::function<bool(const StepReport&)>& after_step);

  // The steps skipped so far (options.skipped_before included).
  int64_t skipped_steps() const { return skipped_; }

 private:
  StepReport one_step(int64_t step);

  model::TrainingStep& step_;
  Optimizer& optimizer_;
  BatchSource& data_;
  TrainerOptions options_;
  int64_t skipped_ = 0;
};

}  // namespace retune::train
