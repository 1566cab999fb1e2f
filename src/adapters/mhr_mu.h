// MHR-μ (Caccia et al., "Multi-Head Adapter Routing"): a Poly / MHR adapter's skills averaged
// uniformly into one plain LoRA, to fine-tune (or use zero-shot) without routing.
//
// For each Poly module (adapters/poly_linear.h) with rank r, n_skills s, n_splits q:
//   lora_A [r, I] = (concat over splits p along I of (1/s) sum_k A[p, k])^T
//   lora_B [O, r] = (concat over splits p along O of (1/s) sum_k B[p, k])^T
//   lora_alpha = 1, so that the LoRA's scaling alpha / r equals Poly's 1 / r.
// The result is a PEFT LoRA (r, lora_alpha 1, target_modules the Poly modules' full names).
#pragma once

#include <cstdint>
#include <filesystem>

#include "adapters/lora_config.h"
#include "adapters/lora_model.h"
#include "model/causal_lm.h"

namespace retune::adapters {

// Reads the Poly adapter folder `poly_folder` and attaches to `model` the LoRA that averages its
// skills, as above; `settings` gives the rest of the LoRA's config (dropout, modules_to_save;
// its r, lora_alpha, targets and init are replaced, and rsLoRA and DoRA are refused). Errors
// name the folder's files (adapters/poly_model.h's load_poly).
LoraModel attach_mhr_mu(model::CausalLm& model, const std::filesystem::path& poly_folder,
                        LoraConfig settings, uint64_t seed);

}  // namespace retune::adapters
