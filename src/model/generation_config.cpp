#include "model/generation_config.h"

#include <limits>
#include <string_view>

#include "core/error.h"
#include "io/file_contents.h"

namespace retune::model {
namespace {

using nlohmann::json;

// Reads the top-level fields of the document; errors name `source` and the field. An absent or
// null field leaves the value it would set unchanged.
class Fields {
 public:
  Fields(const json& config, const std::string& source) : config_(config), source_(source) {}

  void read(const char* key, bool& out) const {
    if (const json* value = find(key)) {
      if (!value->is_boolean()) bad(key, "true or false", *value);
      out = value->get<bool>();
    }
  }
  void read(const char* key, double& out) const {
    if (const json* value = find(key)) {
      if (!value->is_number()) bad(key, "a number", *value);
      out = value->get<double>();
    }
  }
  // An integer >= min, into an int64_t or an optional one.
  template <typename Integer>
  void read(const char* key, Integer& out, int64_t min) const {
    if (const json* value = find(key)) {
      if (!value->is_number_integer() || value->get<int64_t>() < min) {
        bad(key, fmt::format("an integer >= {}", min), *value);
      }
      out = value->get<int64_t>();
    }
  }
  void read(const char* key, std::optional<int32_t>& out) const {
    if (const json* value = find(key)) out = token_id(key, *value, "an int32 token id");
  }
  // An id or a list of ids.
  void read(const char* key, std::vector<int32_t>& out) const {
    const json* value = find(key);
    if (value == nullptr) return;
    const json list = value->is_array() ? *value : json::array({*value});
    out.clear();
    for (const json& id : list) {
      out.push_back(token_id(key, id, "an int32 token id or a list of them"));
    }
  }

 private:
  const json* find(const char* key) const {
    const auto it = config_.find(key);
    return it == config_.end() || it->is_null() ? nullptr : &*it;
  }
  [[noreturn]] void bad(const char* key, std::string_view expected, const json& value) const {
    fail("{}: field \"{}\" must be {}, got {}", source_, key, expected, value.dump());
  }
  int32_t token_id(const char* key, const json& value, std::string_view expected) const {
    constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    if (!value.is_number_integer() || value.get<int64_t>() < kMin || value.get<int64_t>() > kMax) {
      bad(key, expected, value);
    }
    return static_cast<int32_t>(value.get<int64_t>());
  }

  const json& config_;
  const std::string& source_;
};

}  // namespace

GenerationConfig parse_generation_config(const nlohmann::json& config, const std::string& source) {
  if (!config.is_object()) fail("{}: expected a JSON object, got {}", source, config.type_name());
  const Fields fields(config, source);
  GenerationConfig result;
  fields.read("do_sample", result.do_sample);
  fields.read("temperature", result.temperature);
  fields.read("top_k", result.top_k, 0);
  fields.read("top_p", result.top_p);
  fields.read("min_p", result.min_p);
  fields.read("max_new_tokens", result.max_new_tokens, 1);
  fields.read("max_length", result.max_length, 1);
  fields.read("eos_token_id", result.eos_token_ids);
  fields.read("bos_token_id", result.bos_token_id);
  fields.read("pad_token_id", result.pad_token_id);
  try {
    validate_sampling_options(sampling_options(result));
  } catch (const Error& error) {
    fail("{}: {}", source, error.what());
  }
  return result;
}

GenerationConfig load_generation_config(const std::filesystem::path& folder) {
  std::filesystem::path path = folder / "generation_config.json";
  if (!std::filesystem::exists(path)) path = folder / "config.json";
  if (!std::filesystem::exists(path)) return {};
  return parse_generation_config(read_json_file(path), path.string());
}

SamplingOptions sampling_options(const GenerationConfig& config) {
  return {.do_sample = config.do_sample,
          .temperature = config.temperature,
          .top_k = config.top_k,
          .top_p = config.top_p,
          .min_p = config.min_p};
}

}  // namespace retune::model
