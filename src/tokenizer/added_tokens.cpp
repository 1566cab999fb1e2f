#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace retune::tokenizer {
namespace {

// ASCII whitespace, the only whitespace lstrip / rstrip absorb here.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

AddedTokens AddedTokens::from_json(const nlohmann::json& node, bool has_normalizer,
                                   const std::string& file) {
  AddedTokens added;
  if (node.is_null()) return added;
  for (const auto& entry : node) {
    AddedToken token;
    token.id = entry.at("id").get<int32_t>();
    token.content = entry.at("content").get<std::string>();
    token.special = entry.value("special", false);
    token.lstrip = entry.value("lstrip", false);
    token.rstrip = entry.value("rstrip", false);
    if (token.content.empty()) fail("{}: added token {} is empty", file, token.id);
    if (entry.value("single_word", false)) {
      fail("{}: added token {:?} has single_word, which is not supported", file, token.content);
    }
    if (entry.value("normalized", !token.special) && has_normalizer) {
      fail("{}: added token {:?} is normalized, which is not supported with a normalizer", file,
           token.content);
    }
    if (!added.index_by_id_.emplace(token.id, added.tokens_.size()).second) {
      fail("{}: added token id {} appears twice", file, token.id);
    }
    added.tokens_.push_back(std::move(token));
  }
  for (size_t i = 0; i < added.tokens_.size(); ++i) {
    added.by_first_byte_[static_cast<uint8_t>(added.tokens_[i].content[0])].push_back(i);
  }
  for (auto& candidates : added.by_first_byte_) {
    std::stable_sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
      return added.tokens_[a].content.size() > added.tokens_[b].content.size();
    });
  }
  return added;
}

std::vector<Segment> AddedTokens::split(std::string_view text) const {
  std::vector<Segment> segments;
  size_t text_start = 0;  // start of the pending plain text
  auto flush_text = [&](size_t end) {
    if (end > text_start) segments.push_back({text.substr(text_start, end - text_start), -1});
  };
  for (size_t pos = 0; pos < text.size();) {
    const AddedToken* match = nullptr;
    for (size_t index : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
      const AddedToken& token = tokens_[index];
      if (text.compare(pos, token.content.size(), token.content) == 0) {
        match = &token;
        break;
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    size_t begin = pos;
    size_t end = pos + match->content.size();
    if (match->lstrip) {
      while (begin > text_start && is_space(text[begin - 1])) --begin;
    }
    if (match->rstrip) {
      while (end < text.size() && is_space(text[end])) ++end;
    }
    flush_text(begin);
    segments.push_back({text.substr(begin, end - begin), match->id});
    pos = end;
    text_start = end;
  }
  flush_text(text.size());
  return segments;
}

const AddedToken* AddedTokens::find(int32_t id) const {
  auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedTokens::id_of(std::string_view content) const {
  for (const AddedToken& token : tokens_) {
    if (token.content == content) return token.id;
  }
  return std::nullopt;
}

}  // namespace retune::tokenizer
