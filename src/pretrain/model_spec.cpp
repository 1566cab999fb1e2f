#include "pretrain/model_spec.h"

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace retune::pretrain {
namespace {

using nlohmann::json;

json optional_id(const std::optional<int32_t>& id) {
  return id ? json(*id) : json(nullptr);
}

// The fields every Llama-family config shares.
json llama_family_config(const ModelSpec& spec, const char* model_type) {
  return {{"architectures", {model::architecture_name(spec.architecture)}},
          {"attention_dropout", 0.0},
          {"bos_token_id", spec.bos_id},
          {"dtype", "float32"},
          {"eos_token_id", spec.eos_id},
          {"hidden_act", "silu"},
          {"hidden_size", spec.hidden},
          {"initializer_range", spec.initializer_range},
          {"intermediate_size", spec.intermediate},
          {"max_position_embeddings", spec.max_positions},
          {"model_type", model_type},
          {"num_attention_heads", spec.heads},
          {"num_hidden_layers", spec.layers},
          {"num_key_value_heads", spec.kv_heads},
          {"pad_token_id", optional_id(spec.pad_id)},
          {"rms_norm_eps", 1e-6},
          {"rope_parameters", {{"rope_theta", spec.rope_theta}, {"rope_type", "default"}}},
          {"tie_word_embeddings", spec.tie_word_embeddings},
          {"use_cache", true},
          {"vocab_size", spec.vocab}};
}

// Qwen2Config's and Qwen3Config's sliding-window fields (the window is off).
void add_qwen_fields(const ModelSpec& spec, json& config) {
  config["layer_types"] = json(std::vector<std::string>(spec.layers, "full_attention"));
  config["max_window_layers"] = 28;
  config["sliding_window"] = nullptr;
  config["use_sliding_window"] = false;
}

json gpt2_config(const ModelSpec& spec) {
  return {{"activation_function", "gelu_new"},
          {"add_cross_attention", false},
          {"architectures", {model::architecture_name(spec.architecture)}},
          {"attn_pdrop", 0.1},
          {"bos_token_id", spec.bos_id},
          {"dtype", "float32"},
          {"embd_pdrop", 0.1},
          {"eos_token_id", spec.eos_id},
          {"initializer_range", spec.initializer_range},
          {"layer_norm_epsilon", 1e-5},
          {"model_type", "gpt2"},
          {"n_embd", spec.hidden},
          {"n_head", spec.heads},
          {"n_inner", spec.intermediate},
          {"n_layer", spec.layers},
          {"n_positions", spec.max_positions},
          {"pad_token_id", optional_id(spec.pad_id)},
          {"reorder_and_upcast_attn", false},
          {"resid_pdrop", 0.1},
          {"scale_attn_by_inverse_layer_idx", false},
          {"scale_attn_weights", true},
          {"summary_activation", nullptr},
          {"summary_first_dropout", 0.1},
          {"summary_proj_to_labels", true},
          {"summary_type", "cls_index"},
          {"summary_use_proj", true},
          {"tie_word_embeddings", spec.tie_word_embeddings},
          {"use_cache", true},
          {"vocab_size", spec.vocab}};
}

}  // namespace

model::Architecture parse_architecture_option(std::string_view name) {
  if (name == "llama") return model::Architecture::llama;
  if (name == "qwen2") return model::Architecture::qwen2;
  if (name == "qwen3") return model::Architecture::qwen3;
  if (name == "gpt2") return model::Architecture::gpt2;
  fail("unknown architecture \"{}\" (expected llama, qwen2, qwen3 or gpt2)", name);
}

void validate_model_spec(const ModelSpec& spec) {
  const std::pair<const char*, int64_t> sizes[] = {
      {"hidden", spec.hidden},     {"intermediate", spec.intermediate},
      {"layers", spec.layers},     {"heads", spec.heads},
      {"kv_heads", spec.kv_heads}, {"max_positions", spec.max_positions},
      {"vocab", spec.vocab}};
  for (const auto& [name, size] : sizes) {
    RETUNE_CHECK(size >= 1, "{} must be at least 1, got {}", name, size);
  }
  RETUNE_CHECK(spec.hidden % spec.heads == 0, "hidden ({}) must be a multiple of heads ({})",
               spec.hidden, spec.heads);
  RETUNE_CHECK(spec.heads % spec.kv_heads == 0, "heads ({}) must be a multiple of kv_heads ({})",
               spec.heads, spec.kv_heads);
  if (spec.architecture == model::Architecture::gpt2) {
    RETUNE_CHECK(spec.kv_heads == spec.heads,
                 "gpt2 has no grouped-query attention: kv_heads ({}) must equal heads ({})",
                 spec.kv_heads, spec.heads);
  } else {
    RETUNE_CHECK(spec.head_dim() % 2 == 0,
                 "hidden / heads = {} must be even (rotary embeddings rotate pairs of dims)",
                 spec.head_dim());
    RETUNE_CHECK(spec.rope_theta > 0, "rope_theta must be positive, got {}", spec.rope_theta);
  }
  const std::pair<const char*, std::optional<int32_t>> ids[] = {
      {"bos", spec.bos_id}, {"eos", spec.eos_id}, {"pad", spec.pad_id}};
  for (const auto& [name, id] : ids) {
    RETUNE_CHECK(!id || (*id >= 0 && *id < spec.vocab),
                 "{} token id {} is outside the vocabulary of {} tokens", name, *id, spec.vocab);
  }
}

json hf_config_json(const ModelSpec& spec) {
  switch (spec.architecture) {
    case model::Architecture::llama: {
      json config = llama_family_config(spec, "llama");
      config["attention_bias"] = false;
      config["head_dim"] = spec.head_dim();
      config["mlp_bias"] = false;
      config["pretraining_tp"] = 1;
      return config;
    }
    case model::Architecture::qwen2: {
      json config = llama_family_config(spec, "qwen2");
      add_qwen_fields(spec, config);
      return config;
    }
    case model::Architecture::qwen3: {
      json config = llama_family_config(spec, "qwen3");
      add_qwen_fields(spec, config);
      config["attention_bias"] = false;
      config["head_dim"] = spec.head_dim();
      return config;
    }
    case model::Architecture::gpt2:
      return gpt2_config(spec);
  }
  fail("unknown architecture {}", static_cast<int>(spec.architecture));
}

json hf_generation_config_json(const ModelSpec& spec) {
  json config = {{"_from_model_config", true},    {"bos_token_id", spec.bos_id},
                 {"eos_token_id", spec.eos_id},   {"output_attentions", false},
                 {"output_hidden_states", false}, {"use_cache", true}};
  if (spec.pad_id) config["pad_token_id"] = *spec.pad_id;
  return config;
}

}  // namespace retune::pretrain
