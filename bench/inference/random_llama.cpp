#include "inference/random_llama.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "bench_common.h"
#include "core/error.h"
#include "io/safetensors_writer.h"

namespace retune::bench {

int64_t write_random_llama(const std::filesystem::path& folder, DType dtype,
                           const DecoderShape& s) {
  const bool qkv_bias = std::string(s.model_type) == "qwen2";
  const nlohmann::json config = {
      {"architectures", {s.architecture}},
      {"model_type", s.model_type},
      {"hidden_size", s.hidden},
      {"intermediate_size", s.mlp},
      {"num_hidden_layers", s.layers},
      {"num_attention_heads", s.heads},
      {"num_key_value_heads", s.kv_heads},
      {"head_dim", s.head_dim},
      {"vocab_size", s.vocab},
      {"tie_word_embeddings", true},
      {"rope_theta", s.rope_theta},
      {"rms_norm_eps", s.rms_norm_eps},
      {"max_position_embeddings", 8192},
      {"torch_dtype", dtype == DType::bf16 ? "bfloat16" : "float32"},
  };
  std::ofstream config_file(folder / "config.json");
  config_file << config.dump(2) << '\n';
  RETUNE_CHECK(config_file.good(), "{}: cannot write", (folder / "config.json").string());

  NamedTensors tensors;
  int64_t parameters = 0;
  uint64_t seed = 0;
  // Adds a random matrix, or a norm weight of ones or a bias of zeros, converted to `dtype`.
  const auto add = [&](const std::string& name, const Shape& shape) {
    const Tensor value = uniform_tensor(shape, ++seed, -0.05, 0.05);
    if (shape.rank() == 1) value.fill(name.ends_with(".bias") ? 0.0 : 1.0);
    tensors.emplace_back(name, dtype == DType::f32 ? value : value.to(dtype));
    parameters += value.numel();
  };
  const int64_t q_width = s.heads * s.head_dim;
  const int64_t kv_width = s.kv_heads * s.head_dim;
  add("model.embed_tokens.weight", {s.vocab, s.hidden});
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    add(prefix + "input_layernorm.weight", {s.hidden});
    add(prefix + "self_attn.q_proj.weight", {q_width, s.hidden});
    add(prefix + "self_attn.k_proj.weight", {kv_width, s.hidden});
    add(prefix + "self_attn.v_proj.weight", {kv_width, s.hidden});
    if (qkv_bias) {
      add(prefix + "self_attn.q_proj.bias", {q_width});
      add(prefix + "self_attn.k_proj.bias", {kv_width});
      add(prefix + "self_attn.v_proj.bias", {kv_width});
    }
    add(prefix + "self_attn.o_proj.weight", {s.hidden, q_width});
    add(prefix + "post_attention_layernorm.weight", {s.hidden});
    add(prefix + "mlp.gate_proj.weight", {s.mlp, s.hidden});
    add(prefix + "mlp.up_proj.weight", {s.mlp, s.hidden});
    add(prefix + "mlp.down_proj.weight", {s.hidden, s.mlp});
  }
  add("model.norm.weight", {s.hidden});
  write_safetensors(folder / "model.safetensors", tensors);
  return parameters;
}

}  // namespace retune::bench
