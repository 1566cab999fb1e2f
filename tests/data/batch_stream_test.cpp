// BatchStream: shapes, epochs, shuffling by seed (deterministic, different per epoch), the
// padded last batch of an epoch, resuming from a saved position, and the refusals; and the
// whole path from a JSONL file to a batch.
#include "data/batch_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "data/dataset_file.h"
#include "data/pad_token.h"
#include "support/error_of.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

// n examples; example i is {100 + i, i + 1 more tokens}, all trained.
std::vector<TokenizedExample> numbered_examples(int n) {
  std::vector<TokenizedExample> examples;
  for (int i = 0; i < n; ++i) {
    TokenizedExample example;
    for (int t = 0; t <= i % 3 + 1; ++t) example.ids.push_back(t == 0 ? 100 + i : t);
    example.trained.assign(example.ids.size(), true);
    examples.push_back(example);
  }
  return examples;
}

std::vector<int32_t> values(const Tensor& tensor) {
  const int32_t* data = tensor.data<int32_t>();
  return {data, data + tensor.numel()};
}

// The example indices of a stream without packing and with batch size 1, `count` batches.
std::vector<int> order_of(BatchStream& stream, int count) {
  std::vector<int> order;
  for (int i = 0; i < count; ++i) order.push_back(values(stream.next().input_ids)[0] - 100);
  return order;
}

BatchOptions one_per_row(bool shuffle, uint64_t seed) {
  return {1, {4, false, 0}, shuffle, seed};
}

TEST(BatchStream, HandsOutBatchesOfRowsAsTensors) {
  BatchStream stream(numbered_examples(5), {2, {8, true, 7}, false, 0});
  // Sizes 2, 3, 4, 2, 3 in rows of 8: {2, 3} | {4, 2} | {3}: three rows, two batches.
  EXPECT_EQ(stream.rows_in_epoch(), 3);
  Batch batch = stream.next();
  for (const Tensor* tensor : {&batch.input_ids, &batch.labels, &batch.doc_ids, &batch.positions}) {
    EXPECT_EQ(tensor->shape(), Shape({2, 8}));
    EXPECT_EQ(tensor->dtype(), DType::i32);
  }
  EXPECT_EQ(values(batch.input_ids),
            (std::vector<int32_t>{100, 1, 101, 1, 2, 7, 7, 7, 102, 1, 2, 3, 103, 1, 7, 7}));
  EXPECT_EQ(values(batch.doc_ids),
            (std::vector<int32_t>{0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(batch.target_tokens, 1 + 2 + 3 + 1);
  EXPECT_EQ(stream.position(), (DataPosition{0, 2}));
  // The epoch's last batch: its one row, then a row of padding only.
  batch = stream.next();
  EXPECT_EQ(values(batch.input_ids),
            (std::vector<int32_t>{104, 1, 2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}));
  EXPECT_EQ(values(batch.labels),
            (std::vector<int32_t>{1, 2, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100,
                                  -100, -100, -100, -100}));
  EXPECT_EQ(batch.target_tokens, 2);
  EXPECT_EQ(stream.position(), (DataPosition{1, 0}));
}

TEST(BatchStream, ShufflesBySeedDifferentlyEachEpoch) {
  BatchStream first(numbered_examples(10), one_per_row(true, 42));
  BatchStream again(numbered_examples(10), one_per_row(true, 42));
  BatchStream other_seed(numbered_examples(10), one_per_row(true, 43));
  const std::vector<int> epoch0 = order_of(first, 10);
  EXPECT_EQ(first.position(), (DataPosition{1, 0}));
  const std::vector<int> epoch1 = order_of(first, 10);
  EXPECT_EQ(order_of(again, 10), epoch0);
  EXPECT_NE(order_of(other_seed, 10), epoch0);
  EXPECT_NE(epoch1, epoch0);
  for (const auto& order : {epoch0, epoch1}) {
    EXPECT_EQ(std::set<int>(order.begin(), order.end()).size(), 10u) << "a permutation";
  }
  std::vector<int> identity(10);
  for (int i = 0; i < 10; ++i) identity[static_cast<size_t>(i)] = i;
  EXPECT_NE(epoch0, identity);
  BatchStream in_order(numbered_examples(10), one_per_row(false, 42));
  EXPECT_EQ(order_of(in_order, 10), identity);
  EXPECT_EQ(order_of(in_order, 10), identity);
}

TEST(BatchStream, ResumesFromASavedPosition) {
  const BatchOptions options = {3, {9, true, 0}, true, 7};
  BatchStream stream(numbered_examples(30), options);
  for (int i = 0; i < 2; ++i) stream.next();
  const DataPosition saved = stream.position();
  EXPECT_EQ(saved.epoch, 0);
  BatchStream resumed(numbered_examples(30), options, saved);
  EXPECT_EQ(resumed.position(), saved);
  // On across two epoch boundaries, batch for batch.
  for (int i = 0; i < 8; ++i) {
    Batch expected = stream.next();
    Batch actual = resumed.next();
    EXPECT_EQ(values(actual.input_ids), values(expected.input_ids)) << "batch " << i;
    EXPECT_EQ(values(actual.labels), values(expected.labels));
    EXPECT_EQ(values(actual.doc_ids), values(expected.doc_ids));
    EXPECT_EQ(values(actual.positions), values(expected.positions));
    EXPECT_EQ(actual.target_tokens, expected.target_tokens);
    EXPECT_EQ(resumed.position(), stream.position());
  }
  EXPECT_GE(stream.position().epoch, 2);
}

TEST(BatchStream, RefusesNoExamplesAndBadPositions) {
  EXPECT_EQ(error_of([] { BatchStream({}, one_per_row(true, 0)); }), "no examples to train on");
  EXPECT_EQ(error_of([] {
              BatchStream(numbered_examples(3), {0, {4, true, 0}, true, 0});
            }),
            "batch size must be >= 1, got 0");
  EXPECT_EQ(error_of([] {
              BatchStream(numbered_examples(3), one_per_row(true, 0), {0, 3});
            }),
            "data position: epoch 0 has rows 0 to 2, not 3 (were the data or the data options "
            "changed?)");
  EXPECT_EQ(error_of([] {
              BatchStream(numbered_examples(3), one_per_row(true, 0), {-1, 0});
            }),
            "data position: epoch must be >= 0, got -1");
}

TEST(BatchStream, FromAJsonlFileToABatch) {
  TempDir dir;
  write_file(
      dir / "chat.jsonl",
      R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})"
      "\n"
      R"({"prompt": "2+2=", "completion": "4"})"
      "\n");
  const std::filesystem::path folder =
      std::filesystem::path(RETUNE_FIXTURES_DIR) / "hf" / "models" / "qwen2";
  Tokenizer tokenizer = Tokenizer::load(folder);
  const std::vector<Example> examples = read_examples(dir / "chat.jsonl", DataFormat::detect);
  ASSERT_TRUE(has_conversations(examples));
  std::vector<TokenizedExample> tokenized =
      tokenize_examples(examples, tokenizer, {chat_template(folder, std::nullopt)});
  const DataSummary summary = summarize(tokenized, 128);
  ASSERT_EQ(summary.truncated_examples, 0);
  BatchStream stream(std::move(tokenized),
                     {1, {128, true, pad_token_id(folder, tokenizer)}, true, 1});
  const Batch batch = stream.next();
  EXPECT_EQ(batch.target_tokens, summary.target_tokens);
  const std::vector<int32_t> doc_ids = values(batch.doc_ids);
  EXPECT_EQ(doc_ids.back(), 2);  // both examples, then padding
  EXPECT_EQ(values(batch.input_ids).back(), *tokenizer.token_to_id("<|endoftext|>"));
}

}  // namespace
}  // namespace retune
