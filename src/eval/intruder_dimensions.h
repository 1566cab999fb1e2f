// Intruder dimensions (Shuttleworth et al. 2024, "LoRA vs Full Fine-tuning: An Illusion of
// Equivalence"; METHODS.md D1) of one weight matrix, and PEFT 0.21's mitigation
// (peft/tuners/lora/intruders.py reduce_intruder_dimension), in double.
//
// base W0 and merged W = W0 + ΔW: [out, in] (nn.Linear's orientation; the caller transposes
// GPT-2's Conv1D weights). With the thin SVDs W0 = U0 Σ0 V0ᵀ and W = U Σ Vᵀ (of the merged
// weight, not of ΔW), for each of the top k = min(top_k, min(out, in)) left singular vectors u_i
// of W:  c_i = max_j |u_iᵀ u0_j|, and u_i is an intruder when c_i < epsilon.
//
// Mitigation (LoRA): keep a fraction λ of each intruder component,
//   W_mit = W + (λ − 1) Σ_{i ∈ intruders} u_i σ_i v_iᵀ,   ΔW_mit = (W_mit − W0) / s,
// and refactorise ΔW_mit to rank r by its thin SVD U' Σ' V'ᵀ with √Σ' split between the factors:
//   B = U'_r diag(√σ'_r) [out, r],   A = diag(√σ'_r) V'ᵀ_r [r, in]
// (columns of B / rows of A past min(out, in) are zero), so s B A is the best rank-r
// approximation of W_mit − W0. λ = 1 gives back the best rank-r approximation of ΔW.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/module_weights.h"
#include "linalg/matrix.h"
#include "linalg/svd.h"

namespace retune::eval {

struct IntruderOptions {
  int64_t top_k = 10;    // >= 1
  double epsilon = 0.5;  // in (0, 1]
};

// Throws an Error naming the option unless top_k >= 1 and 0 < epsilon <= 1.
void check_intruder_options(const IntruderOptions& options);

struct IntruderAnalysis {
  std::vector<double> cosines;     // c_i of the top k, in the order of σ_i (descending)
  std::vector<int64_t> intruders;  // the indices i with c_i < epsilon, ascending
  linalg::SvdF64 merged;           // the SVD of W
  // σ_i of the intruders, in their order.
  std::vector<double> intruder_singular_values() const;
};

// Throws an Error when the shapes differ (or check_intruder_options does).
IntruderAnalysis analyse_intruders(const linalg::Matrix& base, const linalg::Matrix& merged,
                                   const IntruderOptions& options);

// What `retune analyze intruders` reports of one module.
struct ModuleIntruders {
  std::string module;
  std::vector<double> cosines;          // c_i of the top k
  std::vector<int64_t> intruders;       // indices into cosines with c_i < epsilon
  std::vector<double> singular_values;  // σ_i of the intruders
};

ModuleIntruders summarise_intruders(std::string module, const IntruderAnalysis& analysis);

// analyse_intruders of every module, in order.
std::vector<ModuleIntruders> find_intruders(const std::vector<ModuleWeights>& modules,
                                            const IntruderOptions& options);

struct LoraFactors {
  linalg::Matrix a;  // [r, in]
  linalg::Matrix b;  // [out, r]
};

// The mitigated factors of a LoRA module of rank `rank` and scaling `scaling` (> 0); `analysis`
// is analyse_intruders(base, merged, ...). Throws unless 0 <= lambda <= 1.
LoraFactors mitigated_lora_factors(const linalg::Matrix& base, const linalg::Matrix& merged,
                                   const IntruderAnalysis& analysis, double lambda, double scaling,
                                   int64_t rank);

}  // namespace retune::eval
