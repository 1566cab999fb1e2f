#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace retune::train {

Trainer::Trainer(model::TrainingStep& step, Optimizer& optimizer, BatchSource& data,
                 const TrainerOptions& options)
    : step_(step),
      optimizer_(optimizer),
      data_(data),
      options_(options),
      skipped_(options.skipped_before) {
  RETUNE_CHECK(options.steps >= 1, "training.steps must be >= 1, got {}", options.steps);
  RETUNE_CHECK(options.grad_accum >= 1, "training.grad_accum must be >= 1, got {}",
               options.grad_accum);
  RETUNE_CHECK(options.schedule.total_steps == options.steps,
               "the schedule's total steps ({}) must be the training steps ({})",
               options.schedule.total_steps, options.steps);
  validate_lr_schedule(options.schedule);
}

StepReport Trainer::one_step(int64_t step) {
  const auto start = std::chrono::steady_clock::now();
  if (options_.before_step) options_.before_step(step);
  std::vector<Batch> batches;
  StepReport report{.step = step + 1, .lr = learning_rate(options_.schedule, step)};
  for (int64_t i = 0; i < options_.grad_accum; ++i) {
    batches.push_back(data_.next());
    report.tokens += batches.back().input_ids.numel();
    report.target_tokens += batches.back().target_tokens;
  }
  double loss_sum = 0;  // the sum of the token losses, as each micro-batch's mean times its count
  for (const Batch& batch : batches) {
    if (batch.target_tokens == 0) continue;  // nothing to learn: a row of padding only
    const double share =
        static_cast<double>(batch.target_tokens) / static_cast<double>(report.target_tokens);
    if (options_.before_batch) options_.before_batch(batch);
    const Device device = options_.device;
    const float loss = step_.step(model::batch_on_device(device, batch.input_ids, batch.labels,
                                                         batch.doc_ids, batch.positions),
                                  static_cast<float>(share));
    loss_sum += static_cast<double>(loss) * static_cast<double>(batch.target_tokens);
  }
  report.loss = report.target_tokens ? loss_sum / static_cast<double>(report.target_tokens) : 0;
  if (options_.add_distillation) report.distill = options_.add_distillation();
  if (options_.add_penalty) report.penalty = options_.add_penalty();
  if (options_.mask_gradients) options_.mask_gradients();
  report.grad_norm = optimizer_.clip_grad_norm(options_.max_grad_norm);
  report.skipped = !std::isfinite(report.loss) || !std::isfinite(report.grad_norm);
  if (!report.skipped) optimizer_.step(report.lr);
  optimizer_.zero_grad();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

void Trainer::run(int64_t first_step, const std::function<bool(const StepReport&)>& after_step) {
  for (int64_t step = first_step; step < options_.steps; ++step) {
    const StepReport report = one_step(step);
    if (report.skipped && ++skipped_ > options_.max_skipped_steps) {
      throw NonFiniteStop(fmt::format(
          "training stopped at step {}: {} steps had a non-finite loss or gradient norm (loss "
          "{}, gradient norm {}; training.max_skipped_steps is {})",
          report.step, skipped_, report.loss, report.grad_norm, options_.max_skipped_steps));
    }
    if (!after_step(report)) return;
  }
}

}  // namespace retune::train
