// TokenBatch: a micro-batch of B rows of T tokens for a training step.
#pragma once

#include "core/tensor.h"

namespace retune::model {

struct TokenBatch {
  Tensor input_ids;  // i32 [B, T]
  Tensor labels;     // i32 [B, T]: the id each position must predict, or -100 (not scored)
  Tensor doc_ids;    // i32 [B, T]: packed documents never attend to each other; undefined: one
  Tensor positions;  // i32 [B, T]; undefined: 0 .. T-1 in every row
};

}  // namespace retune::model
