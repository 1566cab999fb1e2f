// EVA (explained variance adaptation, METHODS.md A5), as PEFT computes it
// (huggingface/peft src/peft/tuners/lora/eva.py _get_eva_state_dict, _load_eva_state_dict).
//
// Each targeted layer l of rank r_l runs an incremental PCA (linalg/incremental_pca.h) on its
// input rows — only positions whose attention mask is 1 and, with use_label_mask, whose token
// is trained — keeping ρ r_l components. Layers fed the same input (q, k and v of a layer) share
// one PCA with the most components any of them keeps. The calibration batches are visited in
// order, cyclically, until every layer has converged: the cosine similarity of each of its
// first (assigned rank) components with the previous batch's is >= τ. A PCA skips a batch with
// fewer rows than its components. After each batch, once every PCA has components, the ranks
// are redistributed: the budget Σ r_l goes to the largest explained-variance ratios pooled over
// all layers (a layer sharing a PCA counts its ratios again), layer l getting as many as it
// has among them, and a PCA's owner is given at least the rank of the layers sharing it.
//
// Each layer's start: A0 = its first rank_l components [rank_l, I], B0 = 0 (not residual); with
// adjust_scaling_factors its alpha becomes alpha rank_l / r_l so that the scaling stays
// alpha / r_l. A layer whose rank comes out 0 gets no adapter.
//
// PEFT's PCA uses a seeded randomized SVD (torch.svd_lowrank); retune's is exact, so the
// components agree with PEFT's up to that approximation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapters/calibration_batches.h"
#include "adapters/lora_start.h"
#include "adapters/lora_targets.h"
#include "model/causal_lm.h"

namespace retune::adapters {

struct EvaOptions {
  double rho = 2;     // components computed per layer: round(r ρ), ρ >= 1
  double tau = 0.99;  // convergence threshold of the cosine similarity
  bool use_label_mask = true;
  bool adjust_scaling_factors = true;
  int64_t max_passes = 100;  // over the calibration batches before giving up (PEFT: no limit)
};

struct EvaResult {
  std::map<std::string, LoraStart> starts;  // by module name; modules of rank 0 left out
  std::map<std::string, int64_t> ranks;     // every target's rank (0: no adapter)
  std::map<std::string, double> alphas;     // every target's alpha after adjustment
  int64_t batches = 0;                      // calibration batches run (the first hash pass too)
};

// Throws when a layer has not converged after max_passes passes, naming it.
EvaResult eva_starts(model::CausalLm& model, const std::vector<LoraTarget>& targets,
                     const std::vector<CalibrationBatch>& batches, const EvaOptions& options);

}  // namespace retune::adapters
