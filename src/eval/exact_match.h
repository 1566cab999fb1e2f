// Exact match of greedy completions, `retune eval`'s accuracy for prompt/completion data: the
// model continues each example's prompt greedily (the prompt encoded as for training, with the
// tokenizer's special tokens), the new tokens are decoded without special tokens, and the text
// counts as correct when it equals the completion once both are normalised. Examples that are
// not prompt/completion pairs (text, conversations) are not scored. Alpaca examples are
// prompt/completion pairs (data/dataset_file.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset_file.h"
#include "model/causal_lm.h"
#include "model/generation_config.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace retune::eval {

// What both texts go through before they are compared.
struct AnswerNormalizer {
  bool strip = true;       // leading and trailing whitespace removed
  bool lowercase = false;  // ASCII letters lowercased (other characters stay as they are)

  std::string operator()(std::string_view text) const;
};

// "none", "strip", "lowercase" or "strip,lowercase" (either order); an Error listing them for
// anything else.
AnswerNormalizer parse_answer_normalizer(std::string_view spec);

struct ExactMatchOptions {
  AnswerNormalizer normalizer;
  // The most tokens generated per example; 0: the completion's own token count plus 16.
  int64_t max_new_tokens = 0;
  std::vector<int32_t> stop_ids;  // generation ends at one of these (the model's end tokens)
};

struct ExactMatch {
  int64_t scored = 0;   // prompt/completion examples
  int64_t correct = 0;  // those whose normalised greedy completion equals the reference
  double accuracy() const { return scored > 0 ? static_cast<double>(correct) / scored : 0; }
};

// The ids generation stops after: generation_config.json's end tokens, the tokenizer's
// eos_token and, for a chat, the template's end-of-turn token.
std::vector<int32_t> end_token_ids(const model::GenerationConfig& config,
                                   const Tokenizer& tokenizer,
                                   std::optional<ChatTemplateKind> chat);

// Scores `examples` in order; the model's adapters apply as at inference.
ExactMatch exact_match(const model::CausalLm& model, Tokenizer& tokenizer,
                       const std::vector<Example>& examples, const ExactMatchOptions& options);

}  // namespace retune::eval
