#include "tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace retune::tokenizer {
namespace {

// The regex that GPT-2's ByteLevel pre-tokenizer splits with when use_regex is true.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& node, const std::string& file) {
  PreTokenizer pre_tokenizer;
  if (!node.is_null()) pre_tokenizer.parse(node, file);
  return pre_tokenizer;
}

void PreTokenizer::parse(const nlohmann::json& node, const std::string& file) {
  std::string type = node.at("type").get<std::string>();
  if (byte_level_) fail("{}: pre-tokenizer \"{}\" after ByteLevel is not supported", file, type);
  if (type == "Sequence") {
    for (const auto& child : node.at("pretokenizers")) parse(child, file);
  } else if (type == "Split") {
    std::string behavior = node.at("behavior").get<std::string>();
    if (behavior != "Isolated" || node.value("invert", false)) {
      fail(
          "{}: unsupported Split pre-tokenizer (behavior \"{}\", invert {}); only Isolated, "
          "not inverted, is supported",
          file, behavior, node.value("invert", false));
    }
    const auto& pattern = node.at("pattern");
    if (pattern.contains("Regex")) {
      splits_.emplace_back(pattern.at("Regex").get<std::string>(), false, file);
    } else {
      splits_.emplace_back(pattern.at("String").get<std::string>(), true, file);
    }
  } else if (type == "ByteLevel") {
    byte_level_ = true;
    add_prefix_space_ = node.value("add_prefix_space", false);
    if (add_prefix_space_ && !splits_.empty()) {
      fail("{}: ByteLevel pre-tokenizer with add_prefix_space after a Split is not supported",
           file);
    }
    if (node.value("use_regex", true)) splits_.emplace_back(kGpt2Pattern, false, file);
  } else {
    fail("{}: unsupported pre-tokenizer type \"{}\"", file, type);
  }
}

void PreTokenizer::split(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  std::string prefixed;
  if (add_prefix_space_ && !text.empty() && text.front() != ' ') {
    prefixed = " ";
    prefixed += text;
    text = prefixed;
  }
  pieces_.assign(1, text);
  for (Regex& regex : splits_) {
    next_pieces_.clear();
    for (std::string_view piece : pieces_) regex.split_isolated(piece, next_pieces_);
    pieces_.swap(next_pieces_);
  }
  for (std::string_view piece : pieces_) {
    if (piece.empty()) continue;
    if (byte_level_) {
      std::string mapped;
      append_byte_level(mapped, piece);
      out.push_back(std::move(mapped));
    } else {
      out.emplace_back(piece);
    }
  }
}

}  // namespace retune::tokenizer
