#include "tokenizer/bpe.h"

#include <fmt/format.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <queue>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace retune::tokenizer {

Bpe Bpe::from_json(const nlohmann::json& node, const std::string& file) {
  std::string type = node.value("type", "BPE");
  if (type != "BPE") fail("{}: unsupported tokenizer model type \"{}\" (only BPE)", file, type);
  if (!node.value("dropout", nlohmann::json()).is_null()) {
    fail("{}: BPE dropout is not supported", file);
  }
  for (const char* option : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto value = node.value(option, nlohmann::json());
    if (!value.is_null() && value != "") fail("{}: BPE option {} is not supported", file, option);
  }

  Bpe bpe;
  for (const auto& [token, id_node] : node.at("vocab").items()) {
    if (!id_node.is_number_integer() || id_node.get<int64_t>() < 0 ||
        id_node.get<int64_t>() >= kMaxVocabulary) {
      fail("{}: vocabulary token {:?} has id {}, not an integer in [0, {})", file, token,
           id_node.dump(), kMaxVocabulary);
    }
    const auto id = static_cast<int32_t>(id_node.get<int64_t>());
    if (static_cast<size_t>(id) >= bpe.tokens_by_id_.size()) {
      bpe.tokens_by_id_.resize(static_cast<size_t>(id) + 1);
    }
    if (!bpe.tokens_by_id_[static_cast<size_t>(id)].empty()) {
      fail("{}: vocabulary id {} is used twice", file, id);
    }
    bpe.tokens_by_id_[static_cast<size_t>(id)] = token;
    bpe.vocab_.emplace(token, id);
  }

  int32_t rank = 0;
  for (const auto& merge : node.at("merges")) {
    std::string left;
    std::string right;
    if (merge.is_array()) {
      left = merge.at(0).get<std::string>();
      right = merge.at(1).get<std::string>();
    } else {
      auto text = merge.get<std::string>();
      size_t space = text.find(' ');
      if (space == std::string::npos) fail("{}: merge {:?} has no space", file, text);
      left = text.substr(0, space);
      right = text.substr(space + 1);
    }
    auto left_id = bpe.token_to_id(left);
    auto right_id = bpe.token_to_id(right);
    auto new_id = bpe.token_to_id(left + right);
    if (!left_id || !right_id || !new_id) {
      fail("{}: merge {} of {:?} and {:?} uses a token missing from the vocabulary", file, rank,
           left, right);
    }
    bpe.merges_.try_emplace(pair_key(*left_id, *right_id), Merge{rank, *new_id});
    ++rank;
  }

  auto unk = node.value("unk_token", nlohmann::json());
  if (!unk.is_null()) {
    bpe.unk_id_ = bpe.token_to_id(unk.get<std::string>());
    if (!bpe.unk_id_) fail("{}: unk_token {} is not in the vocabulary", file, unk.dump());
  }
  bpe.fuse_unk_ = node.value("fuse_unk", false);
  bpe.byte_fallback_ = node.value("byte_fallback", false);
  bpe.ignore_merges_ = node.value("ignore_merges", false);
  if (bpe.byte_fallback_) {
    bpe.byte_ids_.assign(256, -1);
    for (int byte = 0; byte < 256; ++byte) {
      auto id = bpe.token_to_id(fmt::format("<0x{:02X}>", byte));
      if (id) bpe.byte_ids_[static_cast<size_t>(byte)] = *id;
    }
  }
  return bpe;
}

std::optional<int32_t> Bpe::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* Bpe::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_by_id_.size()) return nullptr;
  const std::string& token = tokens_by_id_[static_cast<size_t>(id)];
  return token.empty() ? nullptr : &token;
}

// One symbol per code point (by its vocabulary id); a code point outside the vocabulary becomes
// its <0xXX> byte tokens (byte fallback, when all exist), else the unknown token (consecutive
// unknowns fused into one with fuse_unk), else nothing, as Hugging Face's BPE does.
void Bpe::initial_symbols(std::string_view word, std::vector<Symbol>& symbols) const {
  symbols.clear();
  bool previous_unknown = false;
  auto push = [&](int32_t id) {
    auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  };
  for (size_t pos = 0; pos < word.size();) {
    size_t length = utf8_sequence_length(word, pos);
    if (length == 0) length = 1;
    auto it = vocab_.find(std::string(word.substr(pos, length)));
    if (it != vocab_.end()) {
      push(it->second);
      previous_unknown = false;
    } else {
      bool all_bytes = byte_fallback_;
      for (size_t i = 0; all_bytes && i < length; ++i) {
        all_bytes = byte_ids_[static_cast<uint8_t>(word[pos + i])] >= 0;
      }
      if (all_bytes) {
        for (size_t i = 0; i < length; ++i) push(byte_ids_[static_cast<uint8_t>(word[pos + i])]);
        previous_unknown = false;
      } else if (unk_id_) {
        if (!(fuse_unk_ && previous_unknown)) push(*unk_id_);
        previous_unknown = true;
      }
    }
    pos += length;
  }
  if (!symbols.empty()) symbols.back().next = -1;
}

// Merges the lowest-ranked adjacent pair first (the leftmost among equal ranks) until no pair
// of neighbours has a merge.
void Bpe::merge(std::vector<Symbol>& symbols) const {
  struct Candidate {
    int32_t rank;
    int32_t left;  // index of the left symbol
    int32_t new_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int32_t left) {
    int32_t right = symbols[static_cast<size_t>(left)].next;
    if (right < 0) return;
    auto it = merges_.find(
        pair_key(symbols[static_cast<size_t>(left)].id, symbols[static_cast<size_t>(right)].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.new_id});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) consider(static_cast<int32_t>(i));
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(top.left)];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    auto it = merges_.find(pair_key(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.left;
    if (left.prev >= 0) consider(left.prev);
    consider(top.left);
  }
}

void Bpe::encode_word(std::string_view word, std::vector<int32_t>& out) {
  if (ignore_merges_) {
    if (auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    auto hit = cache_.find(std::string(word));
    if (hit != cache_.end()) {
      out.insert(out.end(), hit->second.begin(), hit->second.end());
      return;
    }
  }
  std::vector<Symbol> symbols;
  initial_symbols(word, symbols);
  merge(symbols);
  size_t first = out.size();
  for (const Symbol& symbol : symbols) {
    if (symbol.alive) out.push_back(symbol.id);
  }
  if (cacheable && cache_.size() < kCacheCapacity) {
    cache_.emplace(std::string(word),
                   std::vector<int32_t>(out.begin() + static_cast<ptrdiff_t>(first), out.end()));
  }
}

}  // namespace retune::tokenizer
