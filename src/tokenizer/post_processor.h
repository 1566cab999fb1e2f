// PostProcessor: what encode(add_special_tokens=true) adds around one sequence — the
// tokenizer.json "post_processor" (TemplateProcessing's "single" template; ByteLevel, which
// changes only offsets; Sequence of those; null) or transformers' add_bos_token /
// add_eos_token override from tokenizer_config.json.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace retune::tokenizer {

class PostProcessor {
 public:
  // Parses the "post_processor" node; throws an Error naming `file` and any unsupported type.
  static PostProcessor from_json(const nlohmann::json& node, const std::string& file);
  // The template [bos] $A [eos], each present when given.
  static PostProcessor bos_eos(std::optional<int32_t> bos, std::optional<int32_t> eos);

  // The sequence's ids with the template's special tokens around them.
  std::vector<int32_t> apply(const std::vector<int32_t>& ids) const;

 private:
  static void parse(const nlohmann::json& node, const std::string& file, PostProcessor& out);

  // The template: special-token ids before and after the sequence.
  std::vector<int32_t> before_;
  std::vector<int32_t> after_;
  bool has_template_ = false;
};

}  // namespace retune::tokenizer
