// One module's LoRA factors merged as PEFT 0.21's add_weighted_adapter merges them
// (huggingface/peft src/peft/tuners/lora/model.py: add_weighted_adapter,
// _generalized_task_arithmetic_weighted_adapter,
// _svd_generalized_task_arithmetic_weighted_adapter).
//
// Each input adapter t gives the module A_t [r_t, in], B_t [out, r_t], its scaling s_t
// (alpha / r, or alpha / sqrt(r) with use_rslora) and the user's weight w_t. The result has rank
// new_rank and is saved with lora_alpha = new_rank (scaling 1):
//
//   cat            A = [w_1 s_1 A_1; w_2 s_2 A_2; ...], B = [B_1, B_2, ...], rows and columns
//                  past Σ r_t zero (new_rank: the sum of the adapters' ranks); B·A = Σ w_t s_t ΔW_t
//                  exactly.
//   linear, ties, dare_linear, dare_ties, magnitude_prune
//                  the A_t and the B_t are merged separately (merge/adapter_task_merge.h) with
//                  weights √|w_t s_t|·sign(w_t s_t) for A and √|w_t s_t| for B: every adapter
//                  must have rank new_rank, and B·A holds cross terms B_t A_u (PEFT: "a very rough
//                  approximation").
//   svd, ties_svd, dare_linear_svd, dare_ties_svd, magnitude_prune_svd
//                  ΔW_t = s_t B_t A_t [out, in] (f32) merged with weights w_t as the name without
//                  "_svd" says (svd: a weighted sum), then factorised by a thin SVD in double
//                  (linalg/svd.h): B = U_r diag(σ_r) [out, r], A = Vᵀ_r [r, in], r = new_rank,
//                  which must not exceed min(out, in). For svd with R = Σ r_t < min(out, in)
//                  the same SVD comes from QRs of the stacked factors and an R × R core, without
//                  forming ΔW (O((out + in) R²) instead of O(out·in·min(out, in))). With a clamp
//                  quantile q the entries of both are clamped to [-h, h], h the q-quantile (linear
//                  interpolation, as torch.quantile) of all entries of B and A together. Singular
//                  vectors' signs are LAPACK's, so only B·A is comparable with PEFT's.
// Inputs are f32, read as they are; a module some adapters lack is merged from the others.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "merge/adapter_task_merge.h"

namespace retune::merge {

enum class AdapterCombination {
  linear,
  cat,
  svd,
  ties,
  ties_svd,
  dare_linear,
  dare_linear_svd,
  dare_ties,
  dare_ties_svd,
  magnitude_prune,
  magnitude_prune_svd,
};

// PEFT's combination_type names; throws listing them for another.
AdapterCombination parse_adapter_combination(const std::string& name);
const char* adapter_combination_name(AdapterCombination combination);
// ties*, dare_*, magnitude_prune*: need a density.
bool uses_density(AdapterCombination combination);
// ties*, dare_ties*: elect a sign.
bool uses_majority_sign(AdapterCombination combination);
// svd and *_svd: merge ΔW and factorise it.
bool factorises(AdapterCombination combination);
// linear, ties, dare_linear, dare_ties, magnitude_prune: every adapter must have the same rank.
bool needs_equal_ranks(AdapterCombination combination);

struct CombinationOptions {
  AdapterCombination combination = AdapterCombination::svd;
  std::optional<double> density;  // in (0, 1]; set exactly where uses_density
  MajoritySign majority_sign = MajoritySign::total;
  std::optional<double> svd_clamp;  // a quantile in [0, 1]
};

// One adapter's factors of a module (f32 CPU tensors, any strides).
struct LoraFactors {
  Tensor a;  // [r, in]
  Tensor b;  // [out, r]
  double scaling = 1;
  double weight = 1;
};

// The merged factors: contiguous f32 a [new_rank, in], b [out, new_rank].
struct MergedFactors {
  Tensor a;
  Tensor b;
};

// `inputs`: the adapters that have the module (at least one), all with one in and one out size,
// and of rank new_rank where needs_equal_ranks. `seed` seeds the random sparsification (a
// different one per module). Throws an Error naming `module` when new_rank exceeds min(out, in)
// for a factorising combination.
MergedFactors combine_lora_module(const std::vector<LoraFactors>& inputs, int64_t new_rank,
                                  const CombinationOptions& options, uint64_t seed,
                                  const std::string& module);

// torch.quantile(values, q) with linear interpolation (values not empty, q in [0, 1]).
double linear_quantile(std::vector<double> values, double q);

}  // namespace retune::merge
