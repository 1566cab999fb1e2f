// PreTokenizer: the tokenizer.json "pre_tokenizer" — splits normalized text into words that
// BPE encodes one by one. Supported: Split with a Regex or String pattern and behaviour
// "Isolated" (not inverted), ByteLevel (optionally with add_prefix_space and GPT-2's regex) as
// the last step, Sequence of those; null means the whole text is one word. Owns its compiled
// regexes, so it is not thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/regex.h"

namespace retune::tokenizer {

class PreTokenizer {
 public:
  // Parses the "pre_tokenizer" node; throws an Error naming `file` and anything unsupported.
  static PreTokenizer from_json(const nlohmann::json& node, const std::string& file);

  // Replaces out with the words of text (byte-level mapped when the last step is ByteLevel).
  void split(std::string_view text, std::vector<std::string>& out);

 private:
  void parse(const nlohmann::json& node, const std::string& file);

  std::vector<Regex> splits_;  // applied in order, each on every piece of the one before
  bool byte_level_ = false;
  bool add_prefix_space_ = false;
  std::vector<std::string_view> pieces_;  // scratch buffers reused between calls
  std::vector<std::string_view> next_pieces_;
};

}  // namespace retune::tokenizer
