// Attaching a new LoRA whose start is computed (LoraConfig::start: PiSSA, OLoRA, EVA, CorDA,
// LoRA-GA; adapters/lora_start.h) rather than drawn at random.
//
// The start is computed from the base model before the adapter is attached: from the targeted
// weights (PiSSA, OLoRA), from their inputs on the calibration batches (EVA's PCA, CorDA's
// covariance: adapters/linear_input_taps.h) or from the loss gradient on them (LoRA-GA). Then
// the adapter is attached as attach_lora attaches it and started (apply_lora_starts). EVA first
// redistributes the ranks: its adapter config carries them as rank_pattern / alpha_pattern
// entries per module name, and a module of rank 0 is left out of target_modules.
#pragma once

#include <cstdint>
#include <vector>

#include "adapters/calibration_batches.h"
#include "adapters/corda_start.h"
#include "adapters/eva_start.h"
#include "adapters/lora_ga_start.h"
#include "adapters/lora_model.h"

namespace retune::adapters {

struct LoraStartOptions {
  // EVA, CorDA and LoRA-GA: the batches in order (CorDA takes each row as one sample).
  std::vector<CalibrationBatch> batches;
  CordaMode corda_mode = CordaMode::ipm;
  EvaOptions eva;
  LoraGaOptions lora_ga;
};

// What the initialisation did, for the run's log and summary.
struct LoraStartReport {
  int64_t calibration_batches = 0;  // forward (and for LoRA-GA backward) passes run
  int64_t modules = 0;              // modules adapted
  int64_t rank_sum = 0;             // Σ r over them
};

// Attaches `config`'s LoRA to `model` with the start config.start names (random: attach_lora).
// Module seeds as attach_lora's; randomized SVDs draw from `seed` too.
LoraModel attach_started_lora(model::CausalLm& model, const LoraConfig& config,
                              const LoraStartOptions& options, uint64_t seed,
                              LoraStartReport* report = nullptr);

}  // namespace retune::adapters
