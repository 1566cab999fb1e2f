// A Llama model of the SmolLM2-135M shape (bench_common.h's kSmolLM2, 30 layers) with random
// weights, written as a Hugging Face folder for the inference benchmark.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/dtype.h"

namespace retune::bench {

inline constexpr int64_t kSmolLM2Layers = 30;

// Writes `folder`/config.json (LlamaForCausalLM, tied embeddings, rope_theta 1e5, rms_norm_eps
// 1e-5, 8192 positions) and `folder`/model.safetensors with every weight load_llama_weights
// reads (no lm_head.weight: tied) in `dtype` (f32 or bf16): matrices uniform in +-0.05, norm
// weights 1, so activations stay in a sane range. The folder must exist. Returns the parameter
// count (134,515,008).
int64_t write_random_llama(const std::filesystem::path& folder, DType dtype);

}  // namespace retune::bench
