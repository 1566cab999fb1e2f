// A byte-level BPE tokenizer trained on a corpus (pretrain/bpe_trainer.h), GPT-2 style: any text
// encodes (every byte has a token) and decodes back exactly.
//
// The vocabulary: id 0 kEndOfText (bos, eos and pad), ids 1..256 the bytes 0..255 (as GPT-2's
// printable code points), then one token per learned merge in merge order. The tokenizer.json has
// the ByteLevel pre-tokenizer (GPT-2's regex, no prefix space) and the ByteLevel decoder, the
// merges as [left, right] pairs, no unknown token. Hugging Face tokenizers and retune's
// Tokenizer load it and agree on every id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pretrain/tokenizer_files.h"

namespace retune::pretrain {

// The smallest vocabulary: kEndOfText and the 256 bytes.
inline constexpr int64_t kByteLevelMinVocab = 257;

// The tokenizer of the texts with at most vocab_size tokens (fewer when the corpus runs out of
// pairs to merge); vocab_size below kByteLevelMinVocab is an Error. model_max_length goes into
// tokenizer_config.json.
TokenizerFiles make_byte_level_bpe_tokenizer(const std::vector<std::string>& texts,
                                             int64_t vocab_size, int64_t model_max_length);

}  // namespace retune::pretrain
