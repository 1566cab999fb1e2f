// Bpe: the tokenizer.json "model" of type BPE — vocabulary, merges by rank, optional byte
// fallback (<0xXX> tokens) and unknown token, ignore_merges (a word found whole in the
// vocabulary is one token), and a cache of encoded words. Not thread-safe (the cache).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace retune::tokenizer {

class Bpe {
 public:
  // The most token ids a vocabulary may span (ids 0 .. kMaxVocabulary - 1): config.json's bound
  // on vocab_size (model/model_config.h), far above any released tokenizer's 262144.
  static constexpr int32_t kMaxVocabulary = int32_t{1} << 24;

  // Parses the "model" node; throws an Error naming `file` for another model type or an
  // unsupported option (dropout, continuing_subword_prefix, end_of_word_suffix), a merge of
  // unknown tokens, or an id that is negative, used twice or not below kMaxVocabulary.
  static Bpe from_json(const nlohmann::json& node, const std::string& file);

  // Appends the ids of one word to out.
  void encode_word(std::string_view word, std::vector<int32_t>& out);

  // The id of a vocabulary token, if there is one.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token with this id, or nullptr when the vocabulary has none.
  const std::string* id_to_token(int32_t id) const;

 private:
  struct Symbol {
    int32_t id;
    int32_t prev;  // index of the neighbouring live symbol, -1 at the ends
    int32_t next;
    bool alive;
  };
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  void initial_symbols(std::string_view word, std::vector<Symbol>& symbols) const;
  void merge(std::vector<Symbol>& symbols) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_by_id_;  // "" where no token has the id
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::vector<int32_t> byte_ids_;  // byte_fallback: id of <0xXX> per byte, -1 if missing

  static constexpr size_t kCacheCapacity = 10'000;
  static constexpr size_t kMaxCachedWordBytes = 256;
  std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace retune::tokenizer
