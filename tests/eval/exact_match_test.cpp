// Exact match of greedy completions: the model's own greedy continuation counts as correct, any
// other text not, the normaliser decides what "equal" means, and only prompt/completion pairs
// are scored.
#include "eval/exact_match.h"

#include <gtest/gtest.h>

#include "model/generator.h"
#include "support/error_of.h"
#include "support/model_parity.h"

namespace retune::eval {
namespace {

TEST(AnswerNormalizer, StripsAndLowercasesAsAsked) {
  EXPECT_EQ(parse_answer_normalizer("strip")("  Paris.\n"), "Paris.");
  EXPECT_EQ(parse_answer_normalizer("none")("  Paris.\n"), "  Paris.\n");
  EXPECT_EQ(parse_answer_normalizer("lowercase")(" PaRis É"), " paris É");
  EXPECT_EQ(parse_answer_normalizer("lowercase,strip")("\t PARIS "), "paris");
  EXPECT_EQ(parse_answer_normalizer("strip,lowercase")(" \n "), "");
  EXPECT_EQ(error_of([] { parse_answer_normalizer("upper"); }),
            "unknown normaliser \"upper\" (expected none, strip, lowercase or strip,lowercase)");
}

Example pair(std::string prompt, std::string completion) {
  return {"test", PromptCompletion{std::move(prompt), std::move(completion)}};
}

TEST(ExactMatch, CountsTheModelsOwnGreedyCompletionAndNothingElse) {
  const auto model = model::load_causal_lm(hf_model_fixture("qwen2"));
  Tokenizer tokenizer = Tokenizer::load(hf_model_fixture("qwen2"));
  const std::string prompt = "The capital of France is";
  const model::GenerationResult greedy =
      model::generate(*model, tokenizer.encode(prompt, true), {.max_new_tokens = 5});
  const std::string own = tokenizer.decode(greedy.ids, true);
  ASSERT_FALSE(own.empty());

  const std::vector<Example> examples = {pair(prompt, own),
                                         pair(prompt, "  " + own + "\n"),
                                         pair(prompt, own + " and more"),
                                         {"text", PlainText{"not scored"}}};
  const ExactMatch stripped = exact_match(*model, tokenizer, examples, {.max_new_tokens = 5});
  EXPECT_EQ(stripped.scored, 3);
  EXPECT_EQ(stripped.correct, 2);
  EXPECT_DOUBLE_EQ(stripped.accuracy(), 2.0 / 3);
  // Without stripping, the padded reference no longer matches (unless the model's own text is
  // itself padded so).
  const ExactMatch exact = exact_match(*model, tokenizer, examples,
                                       {.normalizer = {.strip = false}, .max_new_tokens = 5});
  EXPECT_EQ(exact.correct, 1);
  EXPECT_EQ(exact_match(*model, tokenizer, {}, {}).accuracy(), 0.0);
}

}  // namespace
}  // namespace retune::eval
