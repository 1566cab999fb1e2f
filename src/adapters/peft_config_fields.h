// PeftConfigFields: the fields of a PEFT adapter_config.json document as retune's config parsers
// read them (adapters/lora_config.h, adapters/ia3_config.h), each read with PEFT's type and
// range rules and an error that names the file and the field:
// "<file>: field \"r\" must be a positive integer, got \"4\"". An absent field and a JSON null
// both give the caller's fallback.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/module_selection.h"

namespace retune::adapters {

class PeftConfigFields {
 public:
  // Refers to `document` and `source` (the file, for messages), which must outlive it; throws
  // unless the document is a JSON object.
  PeftConfigFields(const nlohmann::ordered_json& document, const std::string& source);

  // The field, or nullptr when it is absent or null.
  const nlohmann::ordered_json* find(const char* key) const;
  [[noreturn]] void bad(const char* key, std::string_view expected,
                        const nlohmann::ordered_json& value) const;
  const std::string& source() const { return source_; }
  const nlohmann::ordered_json& document() const { return document_; }

  int64_t positive_int(const char* key, int64_t fallback) const;
  double number(const char* key, double fallback) const;
  bool boolean(const char* key, bool fallback) const;
  // A string or a list of strings (empty when absent).
  std::vector<std::string> strings(const char* key) const;
  // A list of names or a regex string (compiled here, so that a bad one names its field);
  // `all_linear` accepts "all-linear" in any case.
  ModuleSelector modules(const char* key, bool all_linear) const;
  // A list of non-empty names, or null (modules_to_save).
  std::vector<std::string> module_names(const char* key) const;
  // Rejects an invalid regex, naming the field.
  void compile(const char* key, const std::string& pattern) const;

  // A field retune does not support must be absent, null, false or empty.
  void check_unset(const char* key) const;
  // peft_type must be `peft_type` ("LORA", "IA3") and task_type "CAUSAL_LM" or null.
  void check_types(const char* peft_type) const;

 private:
  const nlohmann::ordered_json& document_;
  const std::string& source_;
};

// The adapter_config.json `file` parsed in the file's key order (as Python's json.load keeps
// it); throws naming the file when it cannot be read or is not JSON.
nlohmann::ordered_json read_config_document(const std::filesystem::path& file);

// A selector as PEFT writes it: a list of strings, a string, or null.
nlohmann::json selector_json(const ModuleSelector& selector);

// ASCII lowercase, as PEFT's str.lower() comparisons see the values it compares.
std::string lowercase(std::string text);

}  // namespace retune::adapters
