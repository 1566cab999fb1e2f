// AddedTokens: the tokenizer.json "added_tokens" — strings matched in the raw input before any
// normalization (leftmost, longest first) and encoded as their ids, never split by BPE.
// Honours lstrip / rstrip (the token absorbs whitespace before / after it); refuses
// single_word, and normalized tokens when the tokenizer has a normalizer (they would have to be
// matched in normalized text).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace retune::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;  // dropped by decode(skip_special_tokens=true)
  bool lstrip = false;
  bool rstrip = false;
};

// A run of input: either plain text (id < 0) or one added token.
struct Segment {
  std::string_view text;
  int32_t id = -1;
};

class AddedTokens {
 public:
  // Parses the "added_tokens" array; has_normalizer says whether a normalizer exists (see
  // above). Throws an Error naming `file` for what is not supported.
  static AddedTokens from_json(const nlohmann::json& node, bool has_normalizer,
                               const std::string& file);

  // Splits text into segments (views into text); plain-text segments are never empty.
  std::vector<Segment> split(std::string_view text) const;

  const AddedToken* find(int32_t id) const;
  std::optional<int32_t> id_of(std::string_view content) const;

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> index_by_id_;
  // Indices into tokens_ by first byte of content, longest content first.
  std::vector<std::vector<size_t>> by_first_byte_ = std::vector<std::vector<size_t>>(256);
};

}  // namespace retune::tokenizer
