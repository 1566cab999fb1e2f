// IST (importance-aware sparse tuning, METHODS.md A11; antgroup's ISTCallback): which decoder
// layers' adapters train at each step, from importance scores learnt on the way.
//
// State: a score s_i per layer, 0 at the start; a higher s_i means a less important layer.
// Every step, ⌊active_fraction L⌋ layers are drawn without replacement with probabilities
// ∝ σ(-s_i): only their adapters are updated. Every `every` steps (at steps 0, every, 2 every,
// ...) the scores are updated first: for each of `trials` trials, ⌊suppressed_fraction L⌋
// layers are drawn without replacement with probabilities ∝ σ(s_i), their adapters' scaling is
// multiplied by `suppression`, and the loss ℓ_k of a batch of training rows is measured at
// inference (no dropout); with R_k = exp(-ℓ_k) - mean_j exp(-ℓ_j), every layer i of trial k's
// set gets s_i += reward_scale R_k σ(s_i)(1 - σ(s_i)).
//
// The draws of step t come from Rng(seed, t) alone, so a resumed run that restores the scores
// draws what an uninterrupted one would.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace retune::train {

struct IstOptions {
  int64_t every = 10;             // steps between score updates
  double active_fraction = 0.25;  // of the layers, trained each step
  int64_t trials = 3;             // K
  double suppressed_fraction = 0.5;
  double suppression = 0.25;  // the scaling factor of suppressed layers
  double reward_scale = 10;
  uint64_t seed = 0;
};

class IstSchedule {
 public:
  // Throws for fractions outside (0, 1], a non-positive count, or fewer than one layer.
  IstSchedule(int64_t layers, const IstOptions& options);

  // The score update due before `step`: `loss_with(suppressed)` measures the loss with those
  // layers suppressed. Returns the trials' losses (none when no update is due).
  std::vector<double> update_scores(
      int64_t step, const std::function<double(const std::vector<int64_t>&)>& loss_with);
  // The layers whose adapters train at `step`, ascending.
  std::vector<int64_t> active_layers(int64_t step) const;

  const std::vector<double>& scores() const { return scores_; }
  void set_scores(std::vector<double> scores);

 private:
  int64_t layers_;
  IstOptions options_;
  std::vector<double> scores_;
};

// `count` distinct indices of `weights` drawn without replacement, each draw with probability
// ∝ the weights still in (torch.multinomial(weights, count, replacement=False)); ascending.
std::vector<int64_t> draw_without_replacement(const std::vector<double>& weights, int64_t count,
                                              uint64_t seed);

}  // namespace retune::train
