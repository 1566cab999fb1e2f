#include "tokenizer/decoder.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace retune::tokenizer {
namespace {

// The byte a "<0xXX>" token stands for.
std::optional<uint8_t> byte_token(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  int high = hex(token[3]);
  int low = hex(token[4]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<uint8_t>(high * 16 + low);
}

std::string replace_all(const std::string& text, const std::string& find,
                        const std::string& content) {
  std::string out;
  size_t start = 0;
  for (size_t hit; (hit = text.find(find, start)) != std::string::npos; start = hit + find.size()) {
    out.append(text, start, hit - start);
    out += content;
  }
  out.append(text, start);
  return out;
}

// Consecutive byte tokens become the text they encode, or one U+FFFD per byte when they are
// not valid UTF-8; other tokens pass through.
std::vector<std::string> byte_fallback(std::vector<std::string> tokens) {
  std::vector<std::string> out;
  std::string bytes;
  size_t byte_count = 0;
  auto flush = [&] {
    if (byte_count == 0) return;
    if (utf8_valid(bytes)) {
      out.push_back(bytes);
    } else {
      for (size_t i = 0; i < byte_count; ++i) out.emplace_back("\xEF\xBF\xBD");
    }
    bytes.clear();
    byte_count = 0;
  };
  for (std::string& token : tokens) {
    if (auto byte = byte_token(token)) {
      bytes.push_back(static_cast<char>(*byte));
      ++byte_count;
    } else {
      flush();
      out.push_back(std::move(token));
    }
  }
  flush();
  return out;
}

// Removes up to `start` leading and `stop` trailing copies of the character c from each token.
void strip(std::vector<std::string>& tokens, const std::string& c, size_t start, size_t stop) {
  for (std::string& token : tokens) {
    size_t begin = 0;
    for (size_t i = 0; i < start && token.compare(begin, c.size(), c) == 0; ++i) begin += c.size();
    size_t end = token.size();
    for (size_t i = 0;
         i < stop && end >= begin + c.size() && token.compare(end - c.size(), c.size(), c) == 0;
         ++i) {
      end -= c.size();
    }
    token = token.substr(begin, end - begin);
  }
}

}  // namespace

Decoder Decoder::from_json(const nlohmann::json& node, const std::string& file) {
  Decoder decoder;
  decoder.present_ = !node.is_null();
  if (decoder.present_) parse(node, file, decoder.steps_);
  return decoder;
}

void Decoder::parse(const nlohmann::json& node, const std::string& file, std::vector<Step>& out) {
  std::string type = node.at("type").get<std::string>();
  if (type == "Sequence") {
    for (const auto& child : node.at("decoders")) parse(child, file, out);
  } else if (type == "ByteLevel") {
    out.push_back({Kind::byte_level, "", ""});
  } else if (type == "Replace") {
    const auto& pattern = node.at("pattern");
    if (!pattern.contains("String") || pattern.at("String").get<std::string>().empty()) {
      fail("{}: unsupported Replace decoder pattern {} (only non-empty String patterns)", file,
           pattern.dump());
    }
    out.push_back({Kind::replace, pattern.at("String").get<std::string>(),
                   node.at("content").get<std::string>()});
  } else if (type == "ByteFallback") {
    out.push_back({Kind::byte_fallback, "", ""});
  } else if (type == "Fuse") {
    out.push_back({Kind::fuse, "", ""});
  } else if (type == "Strip") {
    out.push_back({Kind::strip, node.at("content").get<std::string>(), "",
                   node.at("start").get<size_t>(), node.at("stop").get<size_t>()});
  } else {
    fail("{}: unsupported decoder type \"{}\"", file, type);
  }
}

bool Decoder::is_fallback_byte(const std::string& token) const {
  const bool has_byte_fallback = std::any_of(steps_.begin(), steps_.end(), [](const Step& step) {
    return step.kind == Kind::byte_fallback;
  });
  return has_byte_fallback && byte_token(token).has_value();
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  if (!present_) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) joined += (i == 0 ? "" : " ") + tokens[i];
    return joined;
  }
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Kind::byte_level: {
        std::string bytes;
        for (const std::string& token : tokens) append_unmapped_bytes(bytes, token);
        tokens.assign(1, utf8_lossy(bytes));
        break;
      }
      case Kind::replace:
        for (std::string& token : tokens) token = replace_all(token, step.pattern, step.content);
        break;
      case Kind::byte_fallback:
        tokens = byte_fallback(std::move(tokens));
        break;
      case Kind::fuse: {
        std::string fused;
        for (const std::string& token : tokens) fused += token;
        tokens.assign(1, std::move(fused));
        break;
      }
      case Kind::strip:
        strip(tokens, step.pattern, step.start, step.stop);
        break;
    }
  }
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace retune::tokenizer
