#include "model/model_config.h"

#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune::model {
namespace {

using nlohmann::json;

constexpr Architecture kArchitectures[] = {Architecture::llama, Architecture::qwen2,
                                           Architecture::qwen3, Architecture::gpt2};

// The largest value a size field may declare: far above any released model (Llama 3.1 405B has
// hidden 16384, intermediate 53248, 126 layers, 128 heads; Gemma 3 a 262144 vocabulary), and low
// enough that products of sizes (parameter counts, bytes, memory estimates) stay within int64.
int64_t size_limit(std::string_view key) {
  if (key == "hidden_size" || key == "n_embd") return int64_t{1} << 16;
  if (key == "intermediate_size" || key == "n_inner") return int64_t{1} << 20;
  if (key == "vocab_size") return int64_t{1} << 24;
  if (key.ends_with("max_position_embeddings") || key == "n_positions") return int64_t{1} << 30;
  return 4096;  // layers, heads, head_dim
}

// Reads the fields of one JSON object; `prefix` ("" or "rope_parameters.") names nested
// fields in errors.
class Fields {
 public:
  Fields(const json& object, const std::string& source, std::string prefix = "")
      : object_(object), source_(source), prefix_(std::move(prefix)) {}

  // The field, or nullptr when it is absent or null.
  const json* find(const std::string& key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  const json& require(const std::string& key) const {
    const json* value = find(key);
    if (value == nullptr) fail("{}: missing required field \"{}{}\"", source_, prefix_, key);
    return *value;
  }

  int64_t positive_int(const std::string& key) const { return positive_int(key, require(key)); }
  int64_t positive_int(const std::string& key, int64_t fallback) const {
    const json* value = find(key);
    return value == nullptr ? fallback : positive_int(key, *value);
  }
  double number(const std::string& key) const { return number(key, require(key)); }
  double number(const std::string& key, double fallback) const {
    const json* value = find(key);
    return value == nullptr ? fallback : number(key, *value);
  }
  bool boolean(const std::string& key, bool fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) bad(key, "true or false", *value);
    return value->get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_string()) bad(key, "a string", *value);
    return value->get<std::string>();
  }
  [[noreturn]] void bad(const std::string& key, std::string_view expected,
                        const json& value) const {
    fail("{}: field \"{}{}\" must be {}, got {}", source_, prefix_, key, expected, value.dump());
  }

 private:
  int64_t positive_int(const std::string& key, const json& value) const {
    const int64_t limit = size_limit(key);
    if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > limit ||
        (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(limit))) {
      bad(key, fmt::format("a positive integer of at most {}", limit), value);
    }
    return value.get<int64_t>();
  }
  double number(const std::string& key, const json& value) const {
    if (!value.is_number()) bad(key, "a number", value);
    return value.get<double>();
  }

  const json& object_;
  const std::string& source_;
  std::string prefix_;
};

// rope_parameters (transformers 5) or rope_theta + rope_scaling (transformers 4).
RopeConfig parse_rope(const Fields& top, const std::string& source) {
  RopeConfig rope;
  const char* group_name = "rope_parameters";
  const json* group = top.find(group_name);
  if (group != nullptr) {
    if (!group->is_object()) top.bad(group_name, "an object", *group);
    rope.theta = Fields(*group, source, "rope_parameters.")
                     .number("rope_theta", top.number("rope_theta", rope.theta));
  } else {
    group_name = "rope_scaling";
    group = top.find(group_name);
    if (group != nullptr && !group->is_object()) top.bad(group_name, "an object or null", *group);
    rope.theta = top.number("rope_theta", rope.theta);
  }
  static const json kEmpty = json::object();
  const Fields fields(group != nullptr ? *group : kEmpty, source, std::string(group_name) + ".");
  rope.partial_rotary_factor =
      fields.number("partial_rotary_factor", top.number("partial_rotary_factor", 1.0));
  if (!(rope.theta > 0)) fail("{}: rope_theta must be positive, got {}", source, rope.theta);
  if (!(rope.partial_rotary_factor > 0 && rope.partial_rotary_factor <= 1)) {
    fields.bad("partial_rotary_factor", "in (0, 1]", json(rope.partial_rotary_factor));
  }
  // transformers 4 wrote the older key "type" beside or instead of "rope_type".
  const std::string type = fields.string("rope_type", fields.string("type", "default"));
  if (type == "default") return rope;
  if (type != "llama3") {
    fail("{}: unsupported {}.rope_type \"{}\" (supported: default, llama3)", source, group_name,
         type);
  }
  rope.type = RopeType::llama3;
  rope.factor = fields.number("factor");
  rope.low_freq_factor = fields.number("low_freq_factor");
  rope.high_freq_factor = fields.number("high_freq_factor");
  rope.original_max_position_embeddings = fields.positive_int("original_max_position_embeddings");
  if (!(rope.factor > 0)) fields.bad("factor", "positive", json(rope.factor));
  if (!(rope.low_freq_factor > 0 && rope.high_freq_factor > rope.low_freq_factor)) {
    fail("{}: {} needs 0 < low_freq_factor < high_freq_factor, got {} and {}", source, group_name,
         rope.low_freq_factor, rope.high_freq_factor);
  }
  return rope;
}

Architecture parse_architecture(const Fields& top, const std::string& source) {
  const json& list = top.require("architectures");
  if (!list.is_array() || list.empty() || !list[0].is_string()) {
    top.bad("architectures", "a non-empty list of class names", list);
  }
  const std::string name = list[0].get<std::string>();
  std::string supported;
  for (const Architecture architecture : kArchitectures) {
    if (architecture_name(architecture) == name) return architecture;
    supported += (supported.empty() ? "" : ", ") + architecture_name(architecture);
  }
  fail("{}: unsupported architecture \"{}\" (supported: {})", source, name, supported);
}

// The fields of LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM configs (the
// architecture is already set in `result`).
void parse_llama_family(const Fields& top, const std::string& source, ModelConfig& result) {
  result.hidden_size = top.positive_int("hidden_size");
  result.intermediate_size = top.positive_int("intermediate_size");
  result.num_hidden_layers = top.positive_int("num_hidden_layers");
  result.num_attention_heads = top.positive_int("num_attention_heads");
  result.num_key_value_heads = top.positive_int("num_key_value_heads", result.num_attention_heads);
  result.vocab_size = top.positive_int("vocab_size");
  result.rms_norm_eps = top.number("rms_norm_eps");
  if (!(result.rms_norm_eps >= 0)) {
    top.bad("rms_norm_eps", "non-negative", json(result.rms_norm_eps));
  }
  if (result.num_attention_heads % result.num_key_value_heads != 0) {
    fail("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", source,
         result.num_attention_heads, result.num_key_value_heads);
  }
  if (top.find("head_dim") == nullptr && result.hidden_size % result.num_attention_heads != 0) {
    fail(
        "{}: hidden_size ({}) must be a multiple of num_attention_heads ({}) when head_dim is "
        "absent",
        source, result.hidden_size, result.num_attention_heads);
  }
  result.head_dim = top.positive_int("head_dim", result.hidden_size / result.num_attention_heads);
  result.tie_word_embeddings = top.boolean("tie_word_embeddings", false);

  const std::string activation = top.string("hidden_act", "silu");
  if (activation != "silu") {
    fail("{}: unsupported hidden_act \"{}\" for {} (supported: silu)", source, activation,
         architecture_name(result.architecture));
  }
  if (top.boolean("use_sliding_window", false)) {
    fail("{}: use_sliding_window true is not supported yet", source);
  }
  switch (result.architecture) {
    case Architecture::llama:
      result.qkv_bias = result.o_bias = top.boolean("attention_bias", false);
      result.mlp_bias = top.boolean("mlp_bias", false);
      break;
    case Architecture::qwen2:  // Qwen2Attention: q/k/v always have a bias, o_proj never
      result.qkv_bias = true;
      if (top.boolean("mlp_bias", false)) {
        fail("{}: mlp_bias true is not supported for Qwen2ForCausalLM (its MLP has no bias)",
             source);
      }
      break;
    case Architecture::qwen3:
      result.qkv_bias = result.o_bias = top.boolean("attention_bias", false);
      result.qk_norm = true;
      if (top.boolean("mlp_bias", false)) {
        fail("{}: mlp_bias true is not supported for Qwen3ForCausalLM (its MLP has no bias)",
             source);
      }
      break;
    case Architecture::gpt2:
      fail("{}: GPT2LMHeadModel is not of the Llama family", source);
  }
  result.rope = parse_rope(top, source);
  if (result.rotary_dims() < 2) {
    fail("{}: head_dim {} with partial_rotary_factor {} leaves no rotary dims", source,
         result.head_dim, result.rope.partial_rotary_factor);
  }
}

// The fields of a GPT2LMHeadModel config, in GPT2Config's names.
void parse_gpt2(const Fields& top, const std::string& source, ModelConfig& result) {
  result.hidden_size = top.positive_int("n_embd");
  result.intermediate_size = top.positive_int("n_inner", 4 * result.hidden_size);
  result.num_hidden_layers = top.positive_int("n_layer");
  result.num_attention_heads = top.positive_int("n_head");
  result.num_key_value_heads = result.num_attention_heads;
  if (result.hidden_size % result.num_attention_heads != 0) {
    fail("{}: n_embd ({}) must be a multiple of n_head ({})", source, result.hidden_size,
         result.num_attention_heads);
  }
  result.head_dim = result.hidden_size / result.num_attention_heads;
  result.max_position_embeddings = top.positive_int("n_positions");
  result.vocab_size = top.positive_int("vocab_size");
  result.layer_norm_eps = top.number("layer_norm_epsilon", result.layer_norm_eps);
  if (!(result.layer_norm_eps >= 0)) {
    top.bad("layer_norm_epsilon", "non-negative", json(result.layer_norm_eps));
  }
  result.tie_word_embeddings = top.boolean("tie_word_embeddings", true);
  result.qkv_bias = result.o_bias = true;

  const std::string activation = top.string("activation_function", "gelu_new");
  if (activation != "gelu_new" && activation != "gelu_pytorch_tanh") {
    fail(
        "{}: unsupported activation_function \"{}\" for GPT2LMHeadModel (supported: gelu_new, "
        "gelu_pytorch_tanh)",
        source, activation);
  }
  if (!top.boolean("scale_attn_weights", true)) {
    fail("{}: scale_attn_weights false is not supported yet", source);
  }
  if (top.boolean("scale_attn_by_inverse_layer_idx", false)) {
    fail("{}: scale_attn_by_inverse_layer_idx true is not supported yet", source);
  }
  if (top.boolean("add_cross_attention", false)) {
    fail("{}: add_cross_attention true is not supported", source);
  }
}

}  // namespace

std::string architecture_name(Architecture architecture) {
  switch (architecture) {
    case Architecture::llama:
      return "LlamaForCausalLM";
    case Architecture::qwen2:
      return "Qwen2ForCausalLM";
    case Architecture::qwen3:
      return "Qwen3ForCausalLM";
    case Architecture::gpt2:
      return "GPT2LMHeadModel";
  }
  fail("unknown architecture {}", static_cast<int>(architecture));
}

int64_t ModelConfig::rotary_dims() const {
  const auto dims =
      static_cast<int64_t>(static_cast<double>(head_dim) * rope.partial_rotary_factor);
  return dims - dims % 2;
}

ModelConfig parse_model_config(const nlohmann::json& config, const std::string& source) {
  if (!config.is_object()) fail("{}: expected a JSON object, got {}", source, config.type_name());
  const Fields top(config, source);
  ModelConfig result;
  result.architecture = parse_architecture(top, source);
  if (result.architecture == Architecture::gpt2) {
    parse_gpt2(top, source, result);
  } else {
    parse_llama_family(top, source, result);
  }
  return result;
}

ModelConfig load_model_config(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "config.json";
  return parse_model_config(read_json_file(path), path.string());
}

int64_t position_limit(const ModelConfig& config) {
  return config.architecture == Architecture::gpt2 ? config.max_position_embeddings
                                                   : std::numeric_limits<int64_t>::max();
}

}  // namespace retune::model
