// Normalizer: the tokenizer.json "normalizer" — a sequence of steps applied to each piece of
// input text outside added tokens. Supported steps: NFC (see nfc.h: text already in NFC only),
// Prepend, Replace with a String pattern, and Sequence of those; null means none.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace retune::tokenizer {

class Normalizer {
 public:
  // Parses the "normalizer" node (null: no normalizer); throws an Error naming `file` and any
  // unsupported type.
  static Normalizer from_json(const nlohmann::json& node, const std::string& file);

  bool empty() const { return steps_.empty(); }
  std::string normalize(std::string_view text) const;

 private:
  enum class Kind { nfc, prepend, replace };
  struct Step {
    Kind kind;
    std::string pattern;  // replace: what to find
    std::string content;  // prepend / replace: what to insert
  };
  static void parse(const nlohmann::json& node, const std::string& file, std::vector<Step>& out);

  std::vector<Step> steps_;
};

}  // namespace retune::tokenizer
