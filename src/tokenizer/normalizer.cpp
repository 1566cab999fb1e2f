#include "tokenizer/normalizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/nfc.h"

namespace retune::tokenizer {

Normalizer Normalizer::from_json(const nlohmann::json& node, const std::string& file) {
  Normalizer normalizer;
  if (!node.is_null()) parse(node, file, normalizer.steps_);
  return normalizer;
}

void Normalizer::parse(const nlohmann::json& node, const std::string& file,
                       std::vector<Step>& out) {
  std::string type = node.at("type").get<std::string>();
  if (type == "Sequence") {
    for (const auto& child : node.at("normalizers")) parse(child, file, out);
  } else if (type == "NFC") {
    out.push_back({Kind::nfc, "", ""});
  } else if (type == "Prepend") {
    out.push_back({Kind::prepend, "", node.at("prepend").get<std::string>()});
  } else if (type == "Replace") {
    const auto& pattern = node.at("pattern");
    if (!pattern.contains("String")) {
      fail("{}: unsupported Replace normalizer pattern {} (only String patterns are supported)",
           file, pattern.dump());
    }
    std::string find = pattern.at("String").get<std::string>();
    if (find.empty()) fail("{}: Replace normalizer with an empty pattern", file);
    out.push_back({Kind::replace, find, node.at("content").get<std::string>()});
  } else {
    fail("{}: unsupported normalizer type \"{}\"", file, type);
  }
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string current(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Kind::nfc:
        check_nfc(current);
        break;
      case Kind::prepend:
        if (!current.empty()) current.insert(0, step.content);
        break;
      case Kind::replace: {
        std::string replaced;
        replaced.reserve(current.size());
        size_t start = 0;
        for (size_t hit; (hit = current.find(step.pattern, start)) != std::string::npos;
             start = hit + step.pattern.size()) {
          replaced.append(current, start, hit - start);
          replaced += step.content;
        }
        replaced.append(current, start);
        current = std::move(replaced);
        break;
      }
    }
  }
  return current;
}

}  // namespace retune::tokenizer
