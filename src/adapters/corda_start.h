// CorDA (context-oriented decomposition adaptation, METHODS.md A6), as PEFT computes it
// (huggingface/peft src/peft/tuners/lora/corda.py calib_cov_distribution,
// collect_eigens_for_layer, crop_corda_eigens; layer.py corda_init).
//
// Covariance: for every calibration sample (one example per forward, no padding: PEFT's hook
// squeezes a batch of one), its input rows X [T, I] are divided by |max(X)| (the largest value,
// not the largest magnitude), and C = mean over samples of X^T X [I, I], summed in f32.
//
// Start: C_f = C + λ mean(diag C) I, with λ = 0.01 doubled until ||C_f C_f^-1 - I||_F < 0.05;
// W C_f = U S V̂^T (thin SVD) and Ṽ = (V̂^T C_f^-1)^T [I, k], so that W = U S Ṽ^T. The chosen
// components — the first r (IPM: instruction-previewed, calibrated on the task) or the last r
// (KPM: knowledge-preserved, calibrated on what to keep) — give, with S_sel divided by s,
//   A0 = diag(sqrt(S_sel)) Ṽ_sel^T [r, I],   B0 = U_sel diag(sqrt(S_sel)) [O, r],
// a residual start (W - s B0 A0 is frozen).
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

enum class CordaMode { ipm, kpm };

// The covariance C of every target's input (by module name), each calibration row one sample:
// its attended tokens (padding comes last and is left out, as PEFT feeds samples unpadded).
std::map<std::string, Tensor> corda_covariances(model::CausalLm& model,
                                                const std::vector<LoraTarget>& targets,
                                                const std::vector<CalibrationBatch>& batches);

// weight: f32 [O, I]; covariance: f32 [I, I], linalg::Covariance's mean() after one
// add_scaled_by_max per sample; r <= min(O, I).
LoraStart corda_start(const Tensor& weight, const Tensor& covariance, int64_t r, float scaling,
                      CordaMode mode);

}  // namespace retune::adapters
