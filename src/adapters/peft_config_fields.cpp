#include "adapters/peft_config_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/regex.h"
#include "io/file_contents.h"

namespace retune::adapters {

using nlohmann::json;
using nlohmann::ordered_json;

PeftConfigFields::PeftConfigFields(const ordered_json& document, const std::string& source)
    : document_(document), source_(source) {
  if (!document.is_object()) fail("{}: expected a JSON object, got {}", source, document.dump());
}

const ordered_json* PeftConfigFields::find(const char* key) const {
  const auto it = document_.find(key);
  return it == document_.end() || it->is_null() ? nullptr : &*it;
}

void PeftConfigFields::bad(const char* key, std::string_view expected,
                           const ordered_json& value) const {
  fail("{}: field \"{}\" must be {}, got {}", source_, key, expected, value.dump());
}

int64_t PeftConfigFields::positive_int(const char* key, int64_t fallback) const {
  const ordered_json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer() || value->get<int64_t>() <= 0) {
    bad(key, "a positive integer", *value);
  }
  return value->get<int64_t>();
}

double PeftConfigFields::number(const char* key, double fallback) const {
  const ordered_json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_number()) bad(key, "a number", *value);
  return value->get<double>();
}

bool PeftConfigFields::boolean(const char* key, bool fallback) const {
  const ordered_json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) bad(key, "true or false", *value);
  return value->get<bool>();
}

std::vector<std::string> PeftConfigFields::strings(const char* key) const {
  const ordered_json* value = find(key);
  if (value == nullptr) return {};
  if (value->is_string()) return {value->get<std::string>()};
  if (!value->is_array() ||
      !std::all_of(value->begin(), value->end(), [](const auto& v) { return v.is_string(); })) {
    bad(key, "a string or a list of strings", *value);
  }
  return value->get<std::vector<std::string>>();
}

ModuleSelector PeftConfigFields::modules(const char* key, bool all_linear) const {
  ModuleSelector selector;
  const ordered_json* value = find(key);
  if (value == nullptr) return selector;
  if (value->is_string()) {
    selector.regex = value->get<std::string>();
    if (all_linear && lowercase(selector.regex) == "all-linear") {
      selector.form = ModuleSelector::Form::all_linear;
      selector.regex.clear();
    } else {
      selector.form = ModuleSelector::Form::regex;
      compile(key, selector.regex);
    }
    return selector;
  }
  selector.form = ModuleSelector::Form::names;
  selector.names = strings(key);
  if (std::any_of(selector.names.begin(), selector.names.end(),
                  [](const std::string& name) { return name.empty(); })) {
    bad(key, "a list of non-empty module names or a regex string", *value);
  }
  return selector;
}

std::vector<std::string> PeftConfigFields::module_names(const char* key) const {
  const ordered_json* value = find(key);
  if (value == nullptr) return {};
  const auto is_name = [](const ordered_json& v) {
    return v.is_string() && !v.get<std::string>().empty();
  };
  if (!value->is_array() || !std::all_of(value->begin(), value->end(), is_name)) {
    bad(key, "a list of non-empty module names or null", *value);
  }
  return value->get<std::vector<std::string>>();
}

void PeftConfigFields::compile(const char* key, const std::string& pattern) const {
  Regex(pattern, false, fmt::format("{}: field \"{}\"", source_, key));
}

void PeftConfigFields::check_unset(const char* key) const {
  const ordered_json* value = find(key);
  if (value != nullptr && *value != false && !(value->is_structured() && value->empty())) {
    bad(key, "null, false or empty (retune does not support it)", *value);
  }
}

void PeftConfigFields::check_types(const char* peft_type) const {
  const ordered_json* type = find("peft_type");
  if (type == nullptr) fail("{}: missing field \"peft_type\" (\"{}\")", source_, peft_type);
  if (*type != peft_type) bad("peft_type", fmt::format("\"{}\"", peft_type), *type);
  const ordered_json* task = find("task_type");
  if (task != nullptr && *task != "CAUSAL_LM") {
    bad("task_type", "\"CAUSAL_LM\" or null (retune adapts causal LMs)", *task);
  }
}

ordered_json read_config_document(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  try {
    return ordered_json::parse(text);
  } catch (const ordered_json::exception& error) {
    fail("{}: invalid JSON: {}", file.string(), error.what());
  }
}

json selector_json(const ModuleSelector& selector) {
  switch (selector.form) {
    case ModuleSelector::Form::names:
      return selector.names;
    case ModuleSelector::Form::regex:
      return selector.regex;
    case ModuleSelector::Form::all_linear:
      return "all-linear";
    case ModuleSelector::Form::none:
      break;
  }
  return nullptr;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace retune::adapters
