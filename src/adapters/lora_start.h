// LoraStart: the starting A0 and B0 of a LoRA module when they are computed, from the base
// weight (PiSSA, OLoRA) or from calibration data (EVA, CorDA, LoRA-GA), instead of drawn at
// random (METHODS.md A3-A6).
//
// A residual start keeps the model's function: the base weight becomes W - s B0 A0, so that
// (W - s B0 A0) + s B A equals W at the start (METHODS.md §0.4). The model holds the residual
// as an f32 weight; LoraModule::start_a / start_b keep A0 and B0 so that the adapter is saved as
// a plain LoRA against the original W (LoraModel::saved_parameters).
#pragma once

#include <map>
#include <string>

#include "adapters/lora_model.h"
#include "core/tensor.h"

namespace retune::adapters {

struct LoraStart {
  Tensor a;              // A0 f32 [r, I]
  Tensor b;              // B0 f32 [O, r]
  bool residual = true;  // the base weight becomes W - s B0 A0 (false: EVA, B0 = 0)
};

// Copies each module's start into its A and B, and residualises the base weight where the
// start says so. Every module of `lora` needs a start of its shapes, keyed by module name
// ("model.layers.0.self_attn.q_proj"); throws naming the module otherwise. Refused for DoRA
// with a residual start (DoRA's magnitude is computed from the unmodified weight).
void apply_lora_starts(model::CausalLm& model, LoraModel& lora,
                       const std::map<std::string, LoraStart>& starts);

// PEFT's from_pretrained for an adapter saved unconverted with a computed start re-runs the
// initialisation on the base before loading A and B: "pissa" and "olora" residualise the base
// weights again (deterministic), "eva" and "lora_ga" leave them alone. check_loadable_start
// refuses what cannot be loaded that way, naming `source`: "pissa_niter_<k>" (a randomized SVD:
// its residual cannot be recomputed), "corda" (it needs the calibration covariance), and
// "pissa" or "olora" with DoRA (which the initialisation refuses too).
void check_loadable_start(const LoraConfig& config, const std::string& source);
// After a successful load: residualises the base for "pissa" and "olora" and records A0, B0,
// so that the adapter is saved converted to a plain LoRA.
void residualise_loaded_lora(model::CausalLm& model, LoraModel& lora);

// The site's weight in nn.Linear layout [O, I] as f32, new storage (GPT-2's Conv1D transposed).
Tensor linear_weight_f32(const model::LinearSite& site);

// s for a module of rank r and alpha: alpha / r, or alpha / sqrt(r) with rsLoRA.
float lora_scaling(int64_t r, double alpha, bool use_rslora);

}  // namespace retune::adapters
