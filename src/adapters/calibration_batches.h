// CalibrationBatch: rows of examples that the data-driven initialisations of LoRA (EVA, CorDA,
// LoRA-GA: METHODS.md A4-A6) run the base model on, as PEFT's callers feed them: each row one
// example, right-padded to the batch's longest row, with its attention mask and its label mask.
//
//   input_ids: i32 [B, T]   the examples' ids, then pad_id
//   attended:  [B * T]      1 where a token of the example is (PEFT's attention_mask)
//   labelled:  [B * T]      1 where a trained token is (TokenizedExample::trained; PEFT's
//                           labels != -100, with labels[t] the token t itself, unshifted)
//   labels:    i32 [B, T]   what a training step predicts: labels[t] = ids[t + 1] when token
//                           t + 1 is trained, else -100 (model/token_batch.h's convention)
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "data/tokenized_example.h"
#include "model/token_batch.h"

namespace retune::adapters {

struct CalibrationBatch {
  Tensor input_ids;
  std::vector<uint8_t> attended;
  std::vector<uint8_t> labelled;
  Tensor labels;

  int64_t rows() const { return input_ids.size(0); }
  int64_t length() const { return input_ids.size(1); }
  model::TokenBatch token_batch() const { return {.input_ids = input_ids, .labels = labels}; }
};

// One batch from ids [B, T] and the two masks (1 / 0 per position, [B * T] each); labels are
// derived from them. Throws when the sizes disagree.
CalibrationBatch make_calibration_batch(Tensor input_ids, std::vector<uint8_t> attended,
                                        std::vector<uint8_t> labelled);

// The first `rows` examples (all when fewer), in order, `batch_size` per batch (the last batch
// may be smaller), each cut to its first max_length tokens. Examples with no token are skipped.
std::vector<CalibrationBatch> calibration_batches(const std::vector<TokenizedExample>& examples,
                                                  int64_t rows, int64_t batch_size,
                                                  int64_t max_length, int32_t pad_id);

}  // namespace retune::adapters
