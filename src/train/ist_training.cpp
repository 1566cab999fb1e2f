#include "train/ist_training.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/rng.h"
#include "eval/loss_evaluation.h"

namespace retune::train {

IstTraining::IstTraining(const IstSettings& settings, uint64_t seed, model::CausalLm& model,
                         const adapters::LoraModel& lora, const std::vector<Parameter>& parameters,
                         std::vector<TokenizedExample> pool, int64_t seq_len, int64_t batch_size,
                         int32_t pad_id)
    : settings_(settings),
      seed_(seed),
      model_(model),
      lora_(lora),
      schedule_(model.config().num_hidden_layers,
                {.every = settings.every,
                 .active_fraction = settings.active_fraction,
                 .trials = settings.trials,
                 .suppressed_fraction = settings.suppressed_fraction,
                 .suppression = settings.suppression,
                 .reward_scale = settings.reward_scale,
                 .seed = seed}),
      pool_(std::move(pool)),
      seq_len_(seq_len),
      batch_size_(batch_size),
      pad_id_(pad_id) {
  RETUNE_CHECK(!pool_.empty(), "IST: no training example to measure layer importance on");
  std::map<std::string, int64_t> layer_of;  // adapter parameter -> its module's layer
  for (const adapters::LoraModule& module : lora.modules()) {
    for (const adapters::AdapterParameter& p : module.lora->parameters()) {
      layer_of[adapters::peft_key(module.site.name, p.name)] = module.site.layer;
    }
  }
  for (const Parameter& p : parameters) {
    const auto found = layer_of.find(p.name);
    parameter_layer_.push_back(found == layer_of.end() ? -1 : found->second);
  }
}

double IstTraining::loss_with_suppressed(int64_t step, const std::vector<int64_t>& layers) {
  Rng rng(seed_ ^ mix64(static_cast<uint64_t>(step) * 2 + 3));
  std::vector<TokenizedExample> rows;
  for (int64_t i = 0; i < settings_.rows; ++i) {
    rows.push_back(pool_[static_cast<size_t>(rng.integer(0, std::ssize(pool_) - 1))]);
  }
  std::vector<float> kept;
  for (const adapters::LoraModule& module : lora_.modules()) {
    kept.push_back(module.lora->scaling());
    if (std::binary_search(layers.begin(), layers.end(), module.site.layer)) {
      module.lora->set_scaling(kept.back() * static_cast<float>(settings_.suppression));
    }
  }
  const double loss = eval::evaluate_loss(model_, rows, seq_len_, batch_size_, pad_id_).loss;
  for (size_t i = 0; i < kept.size(); ++i) lora_.modules()[i].lora->set_scaling(kept[i]);
  return loss;
}

void IstTraining::before_step(int64_t step, Optimizer& optimizer) {
  schedule_.update_scores(
      step, [&](const std::vector<int64_t>& layers) { return loss_with_suppressed(step, layers); });
  const std::vector<int64_t> active = schedule_.active_layers(step);
  std::vector<bool> frozen;
  for (const int64_t layer : parameter_layer_) {
    frozen.push_back(layer >= 0 && !std::binary_search(active.begin(), active.end(), layer));
  }
  optimizer.set_frozen(std::move(frozen));
}

}  // namespace retune::train
