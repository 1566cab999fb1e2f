// Learning byte-level BPE merges from a corpus, GPT-2 style.
//
// Each text is split by the ByteLevel pre-tokenizer with GPT-2's regex (tokenizer/pre_tokenizer.h,
// the same split encoding does), each word's bytes shown as GPT-2's printable code points
// (tokenizer/byte_level.h). Identical words are counted once with their frequency. Symbols start
// as the 256 bytes (symbol b is byte b); each step counts every adjacent pair of symbols over all
// words (weighted by the word's frequency), merges the pair with the highest count into a new
// symbol (the next number: 256, 257, ...) in every word, left to right and without overlap, and
// records it. Ties are broken by the smaller pair: the smaller left symbol number, then the
// smaller right one (so a byte pair wins over a pair that uses a merged symbol, and of two byte
// pairs the one with the lower bytes). Training stops after `merge_count` merges or when no word
// has two symbols left. Pair counts are updated incrementally: a merge revisits only the words
// that hold its pair.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace retune::pretrain {

struct ByteLevelMerges {
  // The symbols' texts by number: the 256 bytes (mapped), then one per merge, in merge order.
  std::vector<std::string> symbols;
  // The merges in the order they were learned (the BPE rank order), as (left, right) texts.
  std::vector<std::pair<std::string, std::string>> merges;
};

// The merges of the texts (valid UTF-8, else an Error).
ByteLevelMerges train_byte_level_merges(const std::vector<std::string>& texts, size_t merge_count);

}  // namespace retune::pretrain
