// Sequences: tokenized examples laid out in rows of exactly T tokens for the trainer.
//
// The rules (the CLI help quotes them):
// - Truncation: an example longer than T tokens keeps its first T and loses the rest (its eos
//   included); summarize() counts the examples truncated and the tokens dropped. No example is
//   refused for its length.
// - Packing on: examples are taken in order; each goes into the current row when it fits in
//   the tokens left and has the task of the row's first example (TokenizedExample::task: a row
//   has one task), else the current row is closed with padding and the example opens the next
//   one. An example is never split across rows. The last row is padded.
// - Packing off: one example per row, padded.
// - Padding: pad_id tokens at a row's end (see pad_token_id), never trained.
//
// A row's arrays, each [T]:
//   input_ids  the tokens.
//   labels     label t = input_ids[t+1] when tokens t and t+1 belong to the same example and
//              token t+1 is trained, else -100: the causal shift inside each example. An
//              example's last token has label -100 (nothing follows it in its document), and
//              so has all padding.
//   doc_ids    0, 1, 2, ... for the examples of the row in order; the padding has the next id
//              of its own. Attention must not cross documents.
//   positions  0, 1, 2, ... restarting at each example's first token (and at the padding's),
//              as transformers' position_ids for packed sequences.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/tokenized_example.h"

namespace retune {

constexpr int32_t kIgnoredLabel = -100;

struct SequenceOptions {
  int64_t length = 0;  // T, at least 2
  bool packing = true;
  int32_t pad_id = 0;
};

// Where one row's arrays go, each [T]; the caller owns the memory.
struct RowArrays {
  std::span<int32_t> input_ids;
  std::span<int32_t> labels;
  std::span<int32_t> doc_ids;
  std::span<int32_t> positions;
};

// The rows the examples fill when taken in `order` (indices into examples): row r holds
// order[starts[r]] to order[starts[r + 1] - 1], where starts is the result (one entry more than
// there are rows; {0} for an empty order).
std::vector<size_t> plan_rows(const std::vector<TokenizedExample>& examples,
                              std::span<const size_t> order, const SequenceOptions& options);

// Writes one row of the examples `row` (indices into examples, in order, as plan_rows groups
// them; none for a row of padding only). Returns the number of labels that are not -100.
int64_t write_row(const std::vector<TokenizedExample>& examples, std::span<const size_t> row,
                  const SequenceOptions& options, const RowArrays& out);

// What laying out the examples in rows of `length` tokens keeps and drops (any order).
struct DataSummary {
  int64_t examples = 0;
  int64_t tokens = 0;         // kept, after truncation
  int64_t target_tokens = 0;  // kept tokens with a label (trained, not an example's first)
  int64_t truncated_examples = 0;
  int64_t dropped_tokens = 0;            // cut off by truncation
  int64_t examples_without_targets = 0;  // nothing to learn, e.g. a prompt that fills T
};

DataSummary summarize(const std::vector<TokenizedExample>& examples, int64_t length);

}  // namespace retune
