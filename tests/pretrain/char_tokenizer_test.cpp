// The character-level tokenizer: one id per character, sorted code points after the special
// tokens, exact round trips, <unk> for characters the corpus lacked.
#include "pretrain/char_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pretrain/tokenizer_test_support.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

TEST(PretrainCharTokenizer, GivesOneIdPerCharacterAndRoundTrips) {
  TempDir dir;
  const std::vector<std::string> corpus = {"hello world\n", "naïve café — 東京 😀"};
  Tokenizer tokenizer =
      load_fresh_tokenizer(pretrain::make_char_tokenizer(corpus, 128), dir.path());
  const std::string text = "café 東京\nworld 😀 — naïve";
  const std::vector<int32_t> ids = tokenizer.encode(text, true);
  EXPECT_EQ(ids.size(), 23u);  // characters, not bytes (the text has 34 bytes)
  EXPECT_EQ(tokenizer.decode(ids, false), text);
  EXPECT_EQ(tokenizer.bos_id(), 0);
  EXPECT_EQ(tokenizer.eos_id(), 0);
  EXPECT_EQ(tokenizer.token_to_id("<|endoftext|>"), 0);
  EXPECT_EQ(tokenizer.token_to_id("<unk>"), 1);
}

TEST(PretrainCharTokenizer, NumbersTheCodePointsInOrder) {
  TempDir dir;
  Tokenizer tokenizer =
      load_fresh_tokenizer(pretrain::make_char_tokenizer({"cab", "é a"}, 64), dir.path());
  // ' ' < 'a' < 'b' < 'c' < 'é', from id 2.
  EXPECT_EQ(tokenizer.encode(" abcé", false), (std::vector<int32_t>{2, 3, 4, 5, 6}));
  EXPECT_FALSE(tokenizer.token_to_id("d").has_value());
  // A character the corpus lacked is <unk>, one per character.
  EXPECT_EQ(tokenizer.encode("adz", false), (std::vector<int32_t>{3, 1, 1}));
  EXPECT_EQ(tokenizer.decode({3, 1}, false), "a<unk>");
  // The special token is matched in text and left out with skip_special_tokens.
  EXPECT_EQ(tokenizer.encode("a<|endoftext|>", false), (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(tokenizer.decode({3, 0, 4}, true), "ab");
}

TEST(PretrainCharTokenizer, DependsOnlyOnTheSetOfCharacters) {
  const auto one = pretrain::make_char_tokenizer({"abc", "cba"}, 64);
  const auto two = pretrain::make_char_tokenizer({"ccbbbbba"}, 64);
  EXPECT_EQ(one.tokenizer.dump(), two.tokenizer.dump());
  EXPECT_EQ(one.config, two.config);
  EXPECT_EQ(one.config["model_max_length"], 64);
  EXPECT_EQ(one.config["unk_token"], "<unk>");
  EXPECT_EQ(pretrain::tokenizer_vocab_size(one.tokenizer, "t"), 5);
}

TEST(PretrainCharTokenizer, RefusesTextThatIsNotUtf8) {
  EXPECT_EQ(error_of([] {
              pretrain::make_char_tokenizer({"ok", "bad \xff"}, 64);
            }),
            "corpus text 1 is not valid UTF-8 at byte 4");
}

}  // namespace
}  // namespace retune
