#include "eval/exact_match.h"

#include <algorithm>

#include "core/error.h"
#include "model/generator.h"

namespace retune::eval {
namespace {

constexpr int64_t kExtraTokens = 16;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string AnswerNormalizer::operator()(std::string_view text) const {
  if (strip) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  }
  std::string result(text);
  if (lowercase) {
    std::transform(result.begin(), result.end(), result.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
  }
  return result;
}

AnswerNormalizer parse_answer_normalizer(std::string_view spec) {
  if (spec == "none") return {.strip = false, .lowercase = false};
  if (spec == "strip") return {.strip = true, .lowercase = false};
  if (spec == "lowercase") return {.strip = false, .lowercase = true};
  if (spec == "strip,lowercase" || spec == "lowercase,strip") {
    return {.strip = true, .lowercase = true};
  }
  fail("unknown normaliser \"{}\" (expected none, strip, lowercase or strip,lowercase)", spec);
}

std::vector<int32_t> end_token_ids(const model::GenerationConfig& config,
                                   const Tokenizer& tokenizer,
                                   std::optional<ChatTemplateKind> chat) {
  std::vector<int32_t> ids = config.eos_token_ids;
  if (tokenizer.eos_id()) ids.push_back(*tokenizer.eos_id());
  if (chat) {
    const auto end_of_turn =
        tokenizer.token_to_id(*chat == ChatTemplateKind::chatml ? "<|im_end|>" : "<|eot_id|>");
    if (end_of_turn) ids.push_back(*end_of_turn);
  }
  return ids;
}

ExactMatch exact_match(const model::CausalLm& model, Tokenizer& tokenizer,
                       const std::vector<Example>& examples, const ExactMatchOptions& options) {
  ExactMatch result;
  for (const Example& example : examples) {
    const auto* pair = std::get_if<PromptCompletion>(&example.content);
    if (pair == nullptr) continue;
    const std::vector<int32_t> prompt = tokenizer.encode(pair->prompt, true);
    RETUNE_CHECK(!prompt.empty(), "{}: the prompt encodes to no token", example.source);
    model::GenerationOptions generation{.sampling = {},  // greedy
                                        .max_new_tokens = options.max_new_tokens,
                                        .stop_ids = options.stop_ids};
    if (generation.max_new_tokens == 0) {
      generation.max_new_tokens =
          static_cast<int64_t>(tokenizer.encode(pair->completion, false).size()) + kExtraTokens;
    }
    const model::GenerationResult generated = model::generate(model, prompt, generation);
    const std::string text = tokenizer.decode(generated.ids, true);
    ++result.scored;
    if (options.normalizer(text) == options.normalizer(pair->completion)) ++result.correct;
  }
  return result;
}

}  // namespace retune::eval
