// Decoder: the tokenizer.json "decoder" — turns token strings back into text. Supported:
// ByteLevel, Replace with a String pattern, ByteFallback, Fuse, Strip, and Sequence of those;
// null joins the tokens with spaces (as Hugging Face does without a decoder).
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace retune::tokenizer {

class Decoder {
 public:
  // Parses the "decoder" node; throws an Error naming `file` and any unsupported type.
  static Decoder from_json(const nlohmann::json& node, const std::string& file);

  std::string decode(std::vector<std::string> tokens) const;

  // True for a "<0xXX>" token when a ByteFallback step decodes it: its text depends on the byte
  // tokens next to it (a run that is not valid UTF-8 becomes one U+FFFD per byte).
  bool is_fallback_byte(const std::string& token) const;

 private:
  enum class Kind { byte_level, replace, byte_fallback, fuse, strip };
  struct Step {
    Kind kind;
    std::string pattern;  // replace: what to find; strip: the one character to strip
    std::string content;  // replace: what to put instead
    size_t start = 0;     // strip: at most this many leading / trailing characters
    size_t stop = 0;
  };
  static void parse(const nlohmann::json& node, const std::string& file, std::vector<Step>& out);

  bool present_ = false;
  std::vector<Step> steps_;
};

}  // namespace retune::tokenizer
