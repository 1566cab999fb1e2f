// Tokenizer: a Hugging Face tokenizer folder (tokenizer.json, plus tokenizer_config.json when
// present) as encode / decode. Supports byte-level BPE (GPT-2, Llama 3, Qwen2 styles) and
// SentencePiece-style BPE with byte fallback (Llama 2); see the component headers for which
// tokenizer.json types each stage accepts. Anything else is refused when loading, with an Error
// naming the file and the unsupported thing.
//
// The pipeline: added tokens are matched in the raw text; every other run of text is
// normalized, pre-tokenized into words and each word BPE-encoded; add_special_tokens then
// wraps the ids with the post-processor's template (or, when tokenizer_config.json sets
// add_bos_token / add_eos_token, with its bos / eos tokens, as transformers does).
//
// A Tokenizer owns all its tables. encode() updates a word cache and scratch buffers, so one
// Tokenizer must not encode on two threads at once; decode() is const.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"

namespace retune {

class Tokenizer {
 public:
  // Loads folder/tokenizer.json and folder/tokenizer_config.json (optional). Throws an Error
  // naming the file for a missing or malformed file or an unsupported component.
  static Tokenizer load(const std::filesystem::path& folder);

  // The ids of text (valid UTF-8, else an Error), with the special tokens the post-processor
  // adds when add_special_tokens.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens);

  // The text of ids; special added tokens are left out when skip_special_tokens. Throws an
  // Error for an id the tokenizer does not have.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;

  // True for a byte token ("<0x41>") that the decoder's ByteFallback joins with its neighbours:
  // the text of a sequence ending in one may still change when more byte tokens follow.
  bool is_fallback_byte(int32_t id) const;

  // The id of a token (added or in the vocabulary), if there is one.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // tokenizer_config.json's bos_token / eos_token, when set.
  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }

 private:
  Tokenizer(tokenizer::AddedTokens added, tokenizer::Normalizer normalizer,
            tokenizer::PreTokenizer pre_tokenizer, tokenizer::Bpe model,
            tokenizer::PostProcessor post_processor, tokenizer::Decoder decoder);

  tokenizer::AddedTokens added_;
  tokenizer::Normalizer normalizer_;
  tokenizer::PreTokenizer pre_tokenizer_;
  tokenizer::Bpe model_;
  tokenizer::PostProcessor post_processor_;
  tokenizer::Decoder decoder_;
  std::optional<int32_t> bos_id_;
  std::optional<int32_t> eos_id_;
  std::vector<std::string> words_;  // scratch for encode()
};

}  // namespace retune
