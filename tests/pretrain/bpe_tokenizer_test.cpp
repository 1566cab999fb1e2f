// The byte-level BPE trainer on cases worked out by hand, and the tokenizer it makes: merges
// applied by retune's Tokenizer, exact round trips of any text, the vocabulary-size limits.
#include "pretrain/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "pretrain/bpe_trainer.h"
#include "pretrain/tokenizer_test_support.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

using Merges = std::vector<std::pair<std::string, std::string>>;

// "Ġ" is the space byte as GPT-2's byte-level code points show it.
TEST(PretrainBpeTrainer, MergesTheMostFrequentPairFirst) {
  // Words "ab", "Ġab", "Ġabc": (a, b) 3 times, (Ġ, a) twice, (b, c) once. After a+b: (Ġ, ab)
  // twice, (ab, c) once. After Ġ+ab: (Ġab, c) once. Then every word is one symbol.
  const pretrain::ByteLevelMerges learned = pretrain::train_byte_level_merges({"ab ab abc"}, 10);
  EXPECT_EQ(learned.merges, (Merges{{"a", "b"}, {"Ġ", "ab"}, {"Ġab", "c"}}));
  ASSERT_EQ(learned.symbols.size(), 259u);
  EXPECT_EQ(learned.symbols[97], "a");
  EXPECT_EQ(learned.symbols[32], "Ġ");
  EXPECT_EQ(learned.symbols[256], "ab");
  EXPECT_EQ(learned.symbols[258], "Ġabc");
  EXPECT_EQ(pretrain::train_byte_level_merges({"ab ab abc"}, 1).merges, (Merges{{"a", "b"}}));
}

TEST(PretrainBpeTrainer, BreaksTiesByTheSmallerPair) {
  // Words "ab" and "Ġcd": (a, b), (Ġ, c) and (c, d) once each. (Ġ, c) = (32, 99) is the
  // smallest pair; then (a, b) = (97, 98) comes before (Ġc, d) = (256, 100).
  EXPECT_EQ(pretrain::train_byte_level_merges({"ab cd"}, 10).merges,
            (Merges{{"Ġ", "c"}, {"a", "b"}, {"Ġc", "d"}}));
}

TEST(PretrainBpeTrainer, MergesWithoutOverlapAndWeighsByWordCount) {
  // "aaaa": (a, a) counts 3; merged left to right it is aa aa, then aaaa.
  EXPECT_EQ(pretrain::train_byte_level_merges({"aaaa"}, 10).merges,
            (Merges{{"a", "a"}, {"aa", "aa"}}));
  // Words "xy" 2, "Ġxy" 1, "Ġyz" 2 over both texts: (x, y) counts 3, (Ġ, y) and (y, z) 2.
  EXPECT_EQ(pretrain::train_byte_level_merges({"xy yz", "xy xy yz"}, 1).merges,
            (Merges{{"x", "y"}}));
  // Words "yz" 2, "Ġxy" 1: (y, z) counts 2, (Ġ, x) and (x, y) 1.
  EXPECT_EQ(pretrain::train_byte_level_merges({"yz", "yz xy"}, 1).merges, (Merges{{"y", "z"}}));
}

TEST(PretrainBpeTokenizer, EncodesWithTheMergesAndRoundTrips) {
  TempDir dir;
  Tokenizer tokenizer = load_fresh_tokenizer(
      pretrain::make_byte_level_bpe_tokenizer({"ab ab abc"}, 259, 64), dir.path());
  // Ids: 0 <|endoftext|>, 1 + byte, then 257 "ab", 258 "Ġab".
  EXPECT_EQ(tokenizer.encode("ab abc", true), (std::vector<int32_t>{257, 258, 1 + 'c'}));
  EXPECT_EQ(tokenizer.eos_id(), 0);
  for (const std::string text :
       {"ab abc", "Hello, 世界!\n\tx  y", "no merge here 😀", "a<|endoftext|>b", " "}) {
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text, false), false), text) << text;
  }
  EXPECT_EQ(tokenizer.encode("a<|endoftext|>", false), (std::vector<int32_t>{1 + 'a', 0}));
}

TEST(PretrainBpeTokenizer, StopsWhenTheCorpusRunsOutOfPairs) {
  const auto files = pretrain::make_byte_level_bpe_tokenizer({"ab ab abc"}, 1000, 64);
  EXPECT_EQ(pretrain::tokenizer_vocab_size(files.tokenizer, "t"), 260);
  EXPECT_EQ(files.tokenizer["model"]["merges"].size(), 3u);
  EXPECT_EQ(files.config["eos_token"], "<|endoftext|>");
}

TEST(PretrainBpeTokenizer, RefusesAVocabularySmallerThanTheBytes) {
  EXPECT_EQ(error_of([] { pretrain::make_byte_level_bpe_tokenizer({"ab"}, 256, 64); }),
            "vocab size 256 is smaller than the byte alphabet: byte-level BPE needs at least 257 "
            "(<|endoftext|> and the 256 bytes)");
  EXPECT_NO_THROW(pretrain::make_byte_level_bpe_tokenizer({"ab"}, 257, 64));
}

}  // namespace
}  // namespace retune
