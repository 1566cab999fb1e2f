#include "train/forgetting_budget.h"

namespace retune::train {

bool ForgettingBudget::within(int64_t step, const RetainSet& retain,
                              std::optional<double> eval_loss,
                              const std::vector<Parameter>& parameters) {
  if (!budget_) return true;
  if (retain.most_forgotten().forgetting() > *budget_) {
    exceeded_at_ = step;
    return false;
  }
  if (best_step_ && eval_loss && best_eval_loss_ && *eval_loss >= *best_eval_loss_) return true;
  best_step_ = step;
  best_eval_loss_ = eval_loss;
  best_retain_ = retain.results();
  best_.clear();
  // Kept on the host: a GPU run's full fine-tune would otherwise hold its weights twice there.
  for (const Parameter& p : parameters) best_.push_back(p.value.to(Device::cpu()));
  return true;
}

void ForgettingBudget::restore(const std::vector<Parameter>& parameters) const {
  for (size_t i = 0; i < best_.size(); ++i) parameters[i].value.copy_from(best_[i]);
}

}  // namespace retune::train
