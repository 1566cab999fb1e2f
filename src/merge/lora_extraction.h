// extract_lora: a PEFT LoRA adapter from the difference of a fine-tuned model and its base
// (mergekit's mergekit-extract-lora, PEERS.md §2d), tensor by tensor.
//
// Every 2-D weight inside the layers (the linear projections; GPT-2's Conv1D ones read as
// [out, in]) becomes a LoRA module: ΔW = W_tuned − W_base [out, in], its thin SVD
// U·diag(σ)·Vᵀ (linalg/svd.h, f64), rank r = min(--rank, min(out, in)), lowered to the number of
// σ > sv_epsilon when that is > 0 (at least 1), and
//   lora_A = diag(√σ_r)·Vᵀ_r [r, in],  lora_B = U_r·diag(√σ_r) [out, r]
// (mergekit's distribute_scale), so that B·A is the best rank-r approximation of ΔW. The config
// has r = the largest rank, lora_alpha = r (scale 1), and rank_pattern = alpha_pattern for the
// modules of lower rank. Weights outside the layers (embeddings, head, final norm) and the
// layers' 1-D weights (norms) that differ from the base are saved whole (modules_to_save, by
// full module name), as is a projection whose bias differs (PEFT's lora_bias is not used).
// Unchanged ones are left out. The folder is written atomically, f32.
//
// Errors name the tensor: models of different architectures, a tensor one model lacks or has in
// another shape.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace retune::merge {

struct LoraExtractionOptions {
  int64_t rank = 16;      // --rank: the largest rank
  double sv_epsilon = 0;  // > 0: drop singular values at or below it
};

struct LoraExtraction {
  size_t modules = 0;  // LoRA modules written
  int64_t max_rank = 0;
  std::vector<std::string> saved;  // modules saved whole
};

LoraExtraction extract_lora(const std::filesystem::path& base, const std::filesystem::path& tuned,
                            const std::filesystem::path& out, const LoraExtractionOptions& options);

}  // namespace retune::merge
