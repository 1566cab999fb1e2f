// TokenBatch: a micro-batch of B rows of T tokens for a training step.
#pragma once

#include "core/tensor.h"

namespace retune::model {

struct TokenBatch {
  Tensor input_ids;  // i32 [B, T]
  Tensor labels;     // i32 [B, T]: the id each position must predict, or -100 (not scored)
  Tensor doc_ids;    // i32 [B, T]: packed documents never attend to each other; undefined: one
  Tensor positions;  // i32 [B, T]; undefined: 0 .. T-1 in every row
  // The labels on the host when the batch is on a GPU, for the step's checks of them; undefined:
  // the step copies them back from the device (which waits for the work queued before).
  Tensor host_labels;
};

// A batch of host tensors on `device`: each copied there (unless it is the CPU), the labels'
// host tensor kept as host_labels.
TokenBatch batch_on_device(Device device, const Tensor& input_ids, const Tensor& labels,
                           const Tensor& doc_ids, const Tensor& positions);

}  // namespace retune::model
