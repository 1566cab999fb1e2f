#include "tokenizer/post_processor.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace retune::tokenizer {

PostProcessor PostProcessor::from_json(const nlohmann::json& node, const std::string& file) {
  PostProcessor processor;
  if (!node.is_null()) parse(node, file, processor);
  return processor;
}

PostProcessor PostProcessor::bos_eos(std::optional<int32_t> bos, std::optional<int32_t> eos) {
  PostProcessor processor;
  processor.has_template_ = true;
  if (bos) processor.before_.push_back(*bos);
  if (eos) processor.after_.push_back(*eos);
  return processor;
}

void PostProcessor::parse(const nlohmann::json& node, const std::string& file, PostProcessor& out) {
  std::string type = node.at("type").get<std::string>();
  if (type == "Sequence") {
    for (const auto& child : node.at("processors")) parse(child, file, out);
  } else if (type == "ByteLevel") {
    // Adjusts offsets only; the ids are unchanged.
  } else if (type == "TemplateProcessing") {
    if (out.has_template_) fail("{}: more than one TemplateProcessing post-processor", file);
    out.has_template_ = true;
    const auto& special_tokens = node.at("special_tokens");
    bool seen_sequence = false;
    for (const auto& item : node.at("single")) {
      if (item.contains("Sequence")) {
        if (seen_sequence) fail("{}: TemplateProcessing single template repeats $A", file);
        seen_sequence = true;
        continue;
      }
      std::string name = item.at("SpecialToken").at("id").get<std::string>();
      if (!special_tokens.contains(name)) {
        fail("{}: TemplateProcessing uses special token {:?} missing from special_tokens", file,
             name);
      }
      auto ids = special_tokens.at(name).at("ids").get<std::vector<int32_t>>();
      auto& target = seen_sequence ? out.after_ : out.before_;
      target.insert(target.end(), ids.begin(), ids.end());
    }
  } else {
    fail("{}: unsupported post-processor type \"{}\"", file, type);
  }
}

std::vector<int32_t> PostProcessor::apply(const std::vector<int32_t>& ids) const {
  if (!has_template_) return ids;
  std::vector<int32_t> out;
  out.reserve(before_.size() + ids.size() + after_.size());
  out.insert(out.end(), before_.begin(), before_.end());
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), after_.begin(), after_.end());
  return out;
}

}  // namespace retune::tokenizer
