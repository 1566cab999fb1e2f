// The mean token loss of a model on held-out examples, as `retune train` reports it at each
// evaluation and `retune eval` for a file.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "data/batch_source.h"
#include "data/tokenized_example.h"
#include "model/causal_lm.h"

namespace retune::eval {

struct LossEvaluation {
  double loss = 0;     // mean cross-entropy over the scored tokens
  int64_t tokens = 0;  // scored tokens
  double perplexity() const { return std::exp(loss); }
};

// Every example in its own row of `seq_len` tokens (truncated or padded with pad_id, as
// data/packing.h lays rows out without packing), `batch_size` rows per forward, in file order;
// the loss of each trained token (the labels packing.h gives), averaged over all of them. The
// model's adapters apply as at inference (no dropout). `before_batch`, when set, is called with
// each batch before its forward (a Poly adapter's task routes: train/poly_tasks.h). The batches
// go to the model's device (its output head's): a model trained on a GPU is evaluated there.
LossEvaluation evaluate_loss(const model::CausalLm& model,
                             const std::vector<TokenizedExample>& examples, int64_t seq_len,
                             int64_t batch_size, int32_t pad_id,
                             const std::function<void(const Batch&)>& before_batch = {});

}  // namespace retune::eval
