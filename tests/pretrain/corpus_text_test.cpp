// The texts a tokenizer is built from: every format read_examples reads, and the empty corpus
// refused.
#include "pretrain/corpus_text.h"

#include <gtest/gtest.h>

#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

TEST(PretrainCorpusText, TakesEveryStringOfEveryFormat) {
  TempDir dir;
  write_file(dir / "a.txt", "plain text\n");
  write_file(dir / "b.jsonl",
             "{\"text\": \"t\"}\n{\"prompt\": \"p\", \"completion\": \"c\"}\n"
             "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
  EXPECT_EQ(pretrain::read_corpus_texts({dir / "a.txt", dir / "b.jsonl"}),
            (std::vector<std::string>{"plain text\n", "t", "p", "c", "user", "hi"}));
}

TEST(PretrainCorpusText, RefusesAnEmptyCorpus) {
  TempDir dir;
  write_file(dir / "empty.jsonl", "{\"text\": \"\"}\n");
  EXPECT_EQ(error_of([&] { pretrain::read_corpus_texts({dir / "empty.jsonl"}); }),
            (dir / "empty.jsonl").string() + ": the corpus has no text to build a tokenizer from");
  EXPECT_EQ(error_of([] { pretrain::read_corpus_texts({}); }), "no corpus file given");
}

}  // namespace
}  // namespace retune
