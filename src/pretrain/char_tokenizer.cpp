#include "pretrain/char_tokenizer.h"

#include <set>
#include <utility>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace retune::pretrain {

TokenizerFiles make_char_tokenizer(const std::vector<std::string>& texts,
                                   int64_t model_max_length) {
  std::set<char32_t> code_points;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& text = texts[i];
    for (size_t pos = 0; pos < text.size();) {
      const size_t length = tokenizer::utf8_sequence_length(text, pos);
      RETUNE_CHECK(length > 0, "corpus text {} is not valid UTF-8 at byte {}", i, pos);
      code_points.insert(tokenizer::utf8_decode(text, pos, length));
      pos += length;
    }
  }
  BpeTokenizerParts parts{.tokens = {kEndOfText, kUnknown},
                          .special_count = 2,
                          .unk_token = kUnknown,
                          .pre_tokenizer = nullptr,
                          .decoder = {{"type", "Fuse"}}};
  for (const char32_t code_point : code_points) {
    std::string character;
    tokenizer::utf8_append(character, code_point);
    parts.tokens.push_back(std::move(character));
  }
  TokenizerFiles files{.tokenizer = bpe_tokenizer_json(parts),
                       .config = fresh_tokenizer_config({kEndOfText, kUnknown}, model_max_length)};
  files.config["unk_token"] = kUnknown;
  return files;
}

}  // namespace retune::pretrain
