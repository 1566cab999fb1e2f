// Row layout: labels shifted inside each example only, positions restarting, document ids,
// padding never trained, truncation counted; with and without packing; the pad token.
#include "data/packing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/pad_token.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

constexpr int32_t kPad = 99;
constexpr int32_t kNo = kIgnoredLabel;

// Three examples: a prompt (10) with a completion (11, 12), a text (20, 21), and one of five
// tokens with its last three trained.
const std::vector<TokenizedExample> kExamples = {
    {{10, 11, 12}, {false, true, true}},
    {{20, 21}, {true, true}},
    {{30, 31, 32, 33, 34}, {false, false, true, true, true}},
};

struct Row {
  std::vector<int32_t> input_ids, labels, doc_ids, positions;
  int64_t targets = 0;
};

Row layout(const std::vector<size_t>& examples, int64_t length) {
  Row row;
  for (auto* array : {&row.input_ids, &row.labels, &row.doc_ids, &row.positions}) {
    array->assign(static_cast<size_t>(length), -1);
  }
  row.targets = write_row(kExamples, examples, {length, true, kPad},
                          {row.input_ids, row.labels, row.doc_ids, row.positions});
  return row;
}

TEST(Packing, ShiftsLabelsInsideEachExampleAndRestartsPositions) {
  const Row row = layout({0, 1}, 7);
  EXPECT_EQ(row.input_ids, (std::vector<int32_t>{10, 11, 12, 20, 21, kPad, kPad}));
  // 10 -> 11 and 11 -> 12 are trained; 12 is its example's last; 20 -> 21 trained.
  EXPECT_EQ(row.labels, (std::vector<int32_t>{11, 12, kNo, 21, kNo, kNo, kNo}));
  EXPECT_EQ(row.doc_ids, (std::vector<int32_t>{0, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(row.positions, (std::vector<int32_t>{0, 1, 2, 0, 1, 0, 1}));
  EXPECT_EQ(row.targets, 3);
}

TEST(Packing, UntrainedTokensAreNotTargets) {
  const Row row = layout({2}, 5);
  // 30 and 31 are the prompt: predicting 31 is not trained; 31 -> 32, 32 -> 33, 33 -> 34 are.
  EXPECT_EQ(row.labels, (std::vector<int32_t>{kNo, 32, 33, 34, kNo}));
  EXPECT_EQ(row.doc_ids, (std::vector<int32_t>{0, 0, 0, 0, 0}));  // a full row: no padding
  EXPECT_EQ(row.targets, 3);
}

TEST(Packing, TruncatesAnExampleLongerThanTheRow) {
  const Row row = layout({2}, 4);
  EXPECT_EQ(row.input_ids, (std::vector<int32_t>{30, 31, 32, 33}));
  EXPECT_EQ(row.labels, (std::vector<int32_t>{kNo, 32, 33, kNo}));  // 34 is gone
  const DataSummary summary = summarize(kExamples, 4);
  EXPECT_EQ(summary.examples, 3);
  EXPECT_EQ(summary.truncated_examples, 1);
  EXPECT_EQ(summary.dropped_tokens, 1);
  EXPECT_EQ(summary.tokens, 3 + 2 + 4);
  EXPECT_EQ(summary.target_tokens, 2 + 1 + 2);
  EXPECT_EQ(summary.examples_without_targets, 0);
  // A row of two tokens keeps only the prompt of the last example: nothing to learn.
  EXPECT_EQ(summarize(kExamples, 2).examples_without_targets, 1);
}

TEST(Packing, PlansRowsGreedilyWithoutSplittingExamples) {
  const std::vector<size_t> order = {0, 1, 2, 1, 0};
  // Sizes 3, 2, 5, 2, 3 in rows of 6: {3, 2} | {5} | {2, 3}.
  EXPECT_EQ(plan_rows(kExamples, order, {6, true, kPad}), (std::vector<size_t>{0, 2, 3, 5}));
  // In rows of 4 the third is truncated to 4 and gets a row of its own.
  EXPECT_EQ(plan_rows(kExamples, order, {4, true, kPad}), (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(plan_rows(kExamples, order, {8, true, kPad}), (std::vector<size_t>{0, 2, 4, 5}));
  // Without packing: one example per row.
  EXPECT_EQ(plan_rows(kExamples, order, {8, false, kPad}), (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(plan_rows(kExamples, {}, {8, true, kPad}), std::vector<size_t>{0});
}

TEST(Packing, ARowOfPaddingOnlyTrainsNothing) {
  const Row row = layout({}, 3);
  EXPECT_EQ(row.input_ids, (std::vector<int32_t>{kPad, kPad, kPad}));
  EXPECT_EQ(row.labels, (std::vector<int32_t>{kNo, kNo, kNo}));
  EXPECT_EQ(row.doc_ids, (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(row.targets, 0);
}

TEST(Packing, RefusesBadLayouts) {
  EXPECT_EQ(error_of([] {
              plan_rows(kExamples, std::vector<size_t>{0}, {1, true, 0});
            }),
            "sequence length must be >= 2, got 1");
  EXPECT_EQ(error_of([] {
              layout({0, 1}, 4);
            }),
            "examples of 5 tokens and more overflow a row of 4");
}

std::filesystem::path model_folder(const std::string& name) {
  return std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / name;
}

TEST(PadToken, IsTheConfigsPadTokenElseEosElseZero) {
  EXPECT_EQ(pad_token_id(model_folder("qwen2"), Tokenizer::load(model_folder("qwen2"))),
            Tokenizer::load(model_folder("qwen2")).token_to_id("<|endoftext|>"));
  EXPECT_EQ(pad_token_id(model_folder("llama_tied"), Tokenizer::load(model_folder("llama_tied"))),
            2);  // pad_token null: eos </s>
  TempDir dir;
  std::filesystem::copy_file(model_folder("gpt2") / "tokenizer.json", dir / "tokenizer.json");
  EXPECT_EQ(pad_token_id(dir.path(), Tokenizer::load(dir.path())), 0);  // no config, no eos
  write_file(dir / "tokenizer_config.json", R"({"pad_token": {"content": "<|endoftext|>"}})");
  EXPECT_EQ(pad_token_id(dir.path(), Tokenizer::load(dir.path())), 0);
  write_file(dir / "tokenizer_config.json", R"({"pad_token": "[PAD]"})");
  EXPECT_EQ(error_of([&] { pad_token_id(dir.path(), Tokenizer::load(dir.path())); }),
            (dir / "tokenizer_config.json").string() +
                ": pad_token \"[PAD]\" is not a token of the tokenizer");
}

}  // namespace
}  // namespace retune
