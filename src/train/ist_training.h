// IST around a LoRA run (train/ist_schedule.h): before every step, the score update when due —
// its trial losses measured on `rows` training examples drawn for that step, with the suppressed
// layers' LoRA scaling multiplied by the suppression factor — then the step's active layers,
// whose adapter parameters alone the optimizer updates (the others sit the step out, state
// included). Parameters outside the adapter's modules (modules_to_save) always train.
//
// Gradients are still computed for every layer: the compute and optimizer-state savings the
// paper reports are not realised, only its training dynamics.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "adapters/lora_model.h"
#include "data/tokenized_example.h"
#include "model/causal_lm.h"
#include "train/ist_schedule.h"
#include "train/optimizer.h"
#include "train/train_config.h"

namespace retune::train {

class IstTraining {
 public:
  // `parameters` are the optimizer's, in its order; `pool` the training examples trial rows are
  // drawn from. All references must outlive this object.
  IstTraining(const IstSettings& settings, uint64_t seed, model::CausalLm& model,
              const adapters::LoraModel& lora, const std::vector<Parameter>& parameters,
              std::vector<TokenizedExample> pool, int64_t seq_len, int64_t batch_size,
              int32_t pad_id);

  // Updates the scores when due and freezes the inactive layers' adapters in `optimizer`.
  void before_step(int64_t step, Optimizer& optimizer);

  const std::vector<double>& scores() const { return schedule_.scores(); }
  void set_scores(std::vector<double> scores) { schedule_.set_scores(std::move(scores)); }

 private:
  double loss_with_suppressed(int64_t step, const std::vector<int64_t>& layers);

  IstSettings settings_;
  uint64_t seed_;
  model::CausalLm& model_;
  const adapters::LoraModel& lora_;
  IstSchedule schedule_;
  std::vector<int64_t> parameter_layer_;  // per optimizer parameter; -1: always trained
  std::vector<TokenizedExample> pool_;
  int64_t seq_len_, batch_size_;
  int32_t pad_id_;
};

}  // namespace retune::train
