#include "data/packing.h"

#include <algorithm>

#include "core/error.h"

namespace retune {
namespace {

void check_length(int64_t length) {
  RETUNE_CHECK(length >= 2, "sequence length must be >= 2, got {}", length);
}

// The tokens of an example that a row of `length` keeps.
size_t kept(const TokenizedExample& example, int64_t length) {
  return std::min(example.ids.size(), static_cast<size_t>(length));
}

}  // namespace

std::vector<size_t> plan_rows(const std::vector<TokenizedExample>& examples,
                              std::span<const size_t> order, const SequenceOptions& options) {
  check_length(options.length);
  std::vector<size_t> starts = {0};
  int64_t used = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto tokens = static_cast<int64_t>(kept(examples.at(order[k]), options.length));
    const bool other_task =
        k > 0 && examples.at(order[k]).task != examples.at(order[starts.back()]).task;
    if (k > 0 && (!options.packing || used + tokens > options.length || other_task)) {
      starts.push_back(k);
      used = 0;
    }
    used += tokens;
  }
  if (!order.empty()) starts.push_back(order.size());
  return starts;
}

int64_t write_row(const std::vector<TokenizedExample>& examples, std::span<const size_t> row,
                  const SequenceOptions& options, const RowArrays& out) {
  check_length(options.length);
  const auto length = static_cast<size_t>(options.length);
  for (const std::span<int32_t>* array :
       {&out.input_ids, &out.labels, &out.doc_ids, &out.positions}) {
    RETUNE_CHECK(array->size() == length, "a row array has {} entries, the sequence length is {}",
                 array->size(), length);
  }
  size_t t = 0;
  int32_t doc = 0;
  int64_t targets = 0;
  for (const size_t index : row) {
    const TokenizedExample& example = examples.at(index);
    const size_t tokens = kept(example, options.length);
    RETUNE_CHECK(t + tokens <= length, "examples of {} tokens and more overflow a row of {}",
                 t + tokens, length);
    if (tokens == 0) continue;
    for (size_t i = 0; i < tokens; ++i) {
      const bool target = i + 1 < tokens && example.trained[i + 1];
      out.input_ids[t + i] = example.ids[i];
      out.labels[t + i] = target ? example.ids[i + 1] : kIgnoredLabel;
      out.doc_ids[t + i] = doc;
      out.positions[t + i] = static_cast<int32_t>(i);
      targets += target;
    }
    t += tokens;
    ++doc;
  }
  for (int32_t position = 0; t < length; ++t, ++position) {
    out.input_ids[t] = options.pad_id;
    out.labels[t] = kIgnoredLabel;
    out.doc_ids[t] = doc;
    out.positions[t] = position;
  }
  return targets;
}

DataSummary summarize(const std::vector<TokenizedExample>& examples, int64_t length) {
  check_length(length);
  DataSummary summary;
  for (const TokenizedExample& example : examples) {
    const auto tokens = static_cast<int64_t>(kept(example, length));
    const int64_t targets = tokens < 2 ? 0
                                       : std::count(example.trained.begin() + 1,
                                                    example.trained.begin() + tokens, true);
    ++summary.examples;
    summary.tokens += tokens;
    summary.target_tokens += targets;
    summary.examples_without_targets += targets == 0;
    if (tokens < static_cast<int64_t>(example.ids.size())) {
      ++summary.truncated_examples;
      summary.dropped_tokens += static_cast<int64_t>(example.ids.size()) - tokens;
    }
  }
  return summary;
}

}  // namespace retune
