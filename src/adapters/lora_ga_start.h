// LoRA-GA (LoRA with gradient approximation, METHODS.md A4): A0 and B0 chosen so that the first
// update of s B A follows the best low-rank approximation of full fine-tuning's gradient.
//
// Gradient: G = ∂L/∂W [O, I] for every targeted linear, the mean over the calibration batches
// of each batch's mean-loss gradient, in f32 (PEFT's estimate_gradients: the summed .grad
// divided by the number of backward passes).
// Start (direction ArB2r, scale "stable", the defaults of both implementations):
// G ≈ U S V^T by randomized SVD (q = min(4r, min(O, I)), niter 4), f = O^(1/4) / sqrt(γ),
//   official (Outsider565/LoRA-GA):  A0 = f V^T[:r],   B0 = f U[:, r:2r]
//   PEFT (tuners/lora/layer.py lora_ga_init):  A0 = V^T[:r],   B0 = f U[:, r:2r] diag(S[r:2r])
// a residual start (the base weight becomes W - s B0 A0). Needs 2r <= min(O, I).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapters/calibration_batches.h"
#include "adapters/lora_start.h"
#include "model/causal_lm.h"

namespace retune::adapters {

enum class LoraGaVariant { official, peft };

struct LoraGaOptions {
  LoraGaVariant variant = LoraGaVariant::official;
  double gamma = 16;  // γ of the stable scale
};

// The mean gradient of the loss with respect to each named weight ("<module>.weight" in the
// model's stored layout, f32), over the batches. The named weights become owned f32 copies in
// the model (model/trainable_weights.h), with unchanged values.
std::map<std::string, Tensor> mean_weight_gradients(model::CausalLm& model,
                                                    const std::vector<std::string>& weights,
                                                    const std::vector<CalibrationBatch>& batches);

// gradient: f32 [O, I] (nn.Linear layout).
LoraStart lora_ga_start(const Tensor& gradient, int64_t r, const LoraGaOptions& options,
                        uint64_t seed);

}  // namespace retune::adapters
