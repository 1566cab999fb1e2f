#include "pretrain/bpe_trainer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace retune::pretrain {
namespace {

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
}

// The corpus's distinct pre-tokenized words as byte symbols, in sorted order, with their counts.
std::vector<Word> count_words(const std::vector<std::string>& texts,
                              const std::vector<std::string>& byte_symbols) {
  std::unordered_map<std::string, int32_t> byte_of_symbol;
  for (int32_t byte = 0; byte < 256; ++byte) byte_of_symbol[byte_symbols[byte]] = byte;
  auto pre_tokenizer = tokenizer::PreTokenizer::from_json(
      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, "byte-level BPE");
  std::map<std::string, int64_t> counts;
  std::vector<std::string> words;
  for (size_t i = 0; i < texts.size(); ++i) {
    RETUNE_CHECK(tokenizer::utf8_valid(texts[i]), "corpus text {} is not valid UTF-8", i);
    pre_tokenizer.split(texts[i], words);
    for (const std::string& word : words) ++counts[word];
  }
  std::vector<Word> result;
  for (const auto& [text, count] : counts) {
    Word word{.count = count};
    for (size_t pos = 0; pos < text.size();) {
      const size_t length = tokenizer::utf8_sequence_length(text, pos);
      word.symbols.push_back(byte_of_symbol.at(text.substr(pos, length)));
      pos += length;
    }
    result.push_back(std::move(word));
  }
  return result;
}

// Pair counts over the words, and for each pair the words that held it when it was counted
// (possibly stale or repeated: a merge checks each word again).
class PairCounts {
 public:
  void add(const std::vector<Word>& words, int32_t index, int64_t sign) {
    const Word& word = words[static_cast<size_t>(index)];
    for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
      const int64_t count = counts_[key] += sign * word.count;
      if (count == 0) counts_.erase(key);
      if (sign > 0) words_[key].push_back(index);
    }
  }
  // The pair to merge next (highest count, then smallest key), or false when there is none.
  bool best(uint64_t& key) const {
    int64_t best_count = 0;
    uint64_t best_key = 0;
    for (const auto& [candidate, count] : counts_) {
      if (count > best_count || (count == best_count && candidate < best_key)) {
        best_count = count;
        best_key = candidate;
      }
    }
    key = best_key;
    return best_count > 0;
  }
  // The words that may hold the pair, each once; forgets them.
  std::vector<int32_t> take_words(uint64_t key) {
    std::vector<int32_t> indices = std::move(words_[key]);
    words_.erase(key);
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    return indices;
  }

 private:
  std::unordered_map<uint64_t, int64_t> counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> words_;
};

// Replaces each non-overlapping (left, right), left to right, by merged; true if any was.
bool merge_in_word(std::vector<int32_t>& symbols, int32_t left, int32_t right, int32_t merged) {
  size_t out = 0;
  bool changed = false;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
      symbols[out++] = merged;
      ++i;
      changed = true;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  symbols.resize(out);
  return changed;
}

}  // namespace

ByteLevelMerges train_byte_level_merges(const std::vector<std::string>& texts, size_t merge_count) {
  ByteLevelMerges result;
  for (int byte = 0; byte < 256; ++byte) {
    std::string symbol;
    tokenizer::append_byte_level(symbol, std::string(1, static_cast<char>(byte)));
    result.symbols.push_back(std::move(symbol));
  }
  std::vector<Word> words = count_words(texts, result.symbols);
  PairCounts pairs;
  for (size_t i = 0; i < words.size(); ++i) pairs.add(words, static_cast<int32_t>(i), +1);

  uint64_t key = 0;
  while (result.merges.size() < merge_count && pairs.best(key)) {
    const auto left = static_cast<int32_t>(key >> 32);
    const auto right = static_cast<int32_t>(key & 0xffffffffu);
    const auto merged = static_cast<int32_t>(result.symbols.size());
    result.merges.emplace_back(result.symbols[static_cast<size_t>(left)],
                               result.symbols[static_cast<size_t>(right)]);
    result.symbols.push_back(result.merges.back().first + result.merges.back().second);
    for (const int32_t index : pairs.take_words(key)) {
      std::vector<int32_t> symbols = words[static_cast<size_t>(index)].symbols;
      if (!merge_in_word(symbols, left, right, merged)) continue;
      pairs.add(words, index, -1);
      words[static_cast<size_t>(index)].symbols = std::move(symbols);
      pairs.add(words, index, +1);
    }
  }
  return result;
}

}  // namespace retune::pretrain
