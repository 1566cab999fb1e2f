// A character-level tokenizer built from a corpus: one token per Unicode code point seen in the
// corpus, so that encoding a text gives one id per character.
//
// The vocabulary: id 0 kEndOfText (bos, eos and pad), id 1 kUnknown, then the corpus's code
// points in increasing order from id 2 (so the ids depend only on the set of characters, not on
// their order or counts). The tokenizer.json is a BPE model with these tokens and no merges, no
// normalizer and no pre-tokenizer (the whole text is one word: nothing is split or changed), the
// Fuse decoder (tokens joined as they are) and unk_token kUnknown: a character the corpus did not
// have encodes as kUnknown (one per character; decoding gives "<unk>" back, not the character).
// Byte fallback is off: it would add 256 byte tokens to a vocabulary meant to be tiny. Hugging
// Face tokenizers and retune's Tokenizer load it and agree on every id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pretrain/tokenizer_files.h"

namespace retune::pretrain {

inline constexpr const char* kUnknown = "<unk>";

// The tokenizer of the texts (valid UTF-8, else an Error naming the text's index);
// model_max_length goes into tokenizer_config.json.
TokenizerFiles make_char_tokenizer(const std::vector<std::string>& texts, int64_t model_max_length);

}  // namespace retune::pretrain
