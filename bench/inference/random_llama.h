// A Llama-family model of a benchmark shape (SmolLM2-135M by default, or Qwen2.5-0.5B) with
// random weights, written as a Hugging Face folder for the inference and training benchmarks.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/dtype.h"

namespace retune::bench {

inline constexpr int64_t kSmolLM2Layers = 30;

// A decoder shape of BENCHMARKS.md: the architecture and its sizes.
struct DecoderShape {
  const char* name;          // "smollm2-135m"
  const char* architecture;  // config.json's architectures[0]
  const char* model_type;    // "llama" or "qwen2" (q, k and v have biases)
  int64_t layers, hidden, mlp, heads, kv_heads, head_dim, vocab;
  double rope_theta, rms_norm_eps;
};
inline constexpr DecoderShape kSmolLM2Decoder{"smollm2-135m",
                                              "LlamaForCausalLM",
                                              "llama",
                                              kSmolLM2Layers,
                                              576,
                                              1536,
                                              9,
                                              3,
                                              64,
                                              49152,
                                              1e5,
                                              1e-5};
inline constexpr DecoderShape kQwen25Decoder{
    "qwen2.5-0.5b", "Qwen2ForCausalLM", "qwen2", 24, 896, 4864, 14, 2, 64, 151936, 1e6, 1e-6};

// Writes `folder`/config.json (the shape's architecture, tied embeddings, 8192 positions) and
// `folder`/model.safetensors with every weight load_llama_weights reads (no lm_head.weight:
// tied) in `dtype` (f32 or bf16): matrices uniform in +-0.05, norm weights 1, biases 0, so
// activations stay in a sane range. The folder must exist. Returns the parameter count
// (134,515,008 for SmolLM2-135M).
int64_t write_random_llama(const std::filesystem::path& folder, DType dtype,
                           const DecoderShape& shape = kSmolLM2Decoder);

}  // namespace retune::bench
