// ForgettingBudget: training.forgetting_budget — the most any data.retain file's loss may rise
// over the base model's. It keeps the best evaluation within the budget (the lowest eval loss,
// or the latest without data.eval), with a copy of the trained tensors then, and the step of the
// evaluation that went past it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.h"
#include "train/optimizer.h"
#include "train/retain_set.h"

namespace retune::train {

class ForgettingBudget {
 public:
  explicit ForgettingBudget(std::optional<double> budget) : budget_(budget) {}
  bool active() const { return budget_.has_value(); }

  // After an evaluation at `step`: false when the retain file that forgot the most went past the
  // budget (training stops there); else true, keeping the weights when the evaluation is the
  // best within the budget so far. Always true without a budget.
  bool within(int64_t step, const RetainSet& retain, std::optional<double> eval_loss,
              const std::vector<Parameter>& parameters);

  std::optional<int64_t> exceeded_at() const { return exceeded_at_; }
  std::optional<int64_t> best_step() const { return best_step_; }
  std::optional<double> best_eval_loss() const { return best_eval_loss_; }
  const std::vector<RetainResult>& best_retain() const { return best_retain_; }

  // Puts the best evaluation's tensors back into `parameters`.
  void restore(const std::vector<Parameter>& parameters) const;

 private:
  std::optional<double> budget_;
  std::optional<int64_t> exceeded_at_;
  std::optional<int64_t> best_step_;
  std::optional<double> best_eval_loss_;
  std::vector<RetainResult> best_retain_;
  std::vector<Tensor> best_;
};

}  // namespace retune::train
