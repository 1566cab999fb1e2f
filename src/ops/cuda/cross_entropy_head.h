// The GPU's output head fused with the cross-entropy (ops/cross_entropy_head.h), built with
// RETUNE_CUDA. Rows are taken in blocks (head_weight.h's head_row_block): a block's logits for the
// whole vocabulary are made by one bf16 product into scratch, the row kernel turns them into
// softmax statistics, losses and bf16 logit gradients, and two more products give the block's dx
// and add to dweight. The [N, V] logits never exist at once.
#pragma once

#include <cstdint>

#include "ops/cpu/cross_entropy_head.h"

namespace retune::ops::cuda {

// What to compute. loss f32 [1] (null: not wanted) = mean loss over labelled rows (0 when none);
// lse f32 [N] is written, or read when lse_given; dx f32 [N, C] is overwritten and dweight
// f32 [V, C] added to, each skipped when null, for the gradient of dloss * loss.
struct HeadOutputs {
  float* loss;
  float* lse;
  bool lse_given;
  float dloss;
  float* dx;
  float* dweight;
};

// `problem` is ops/cpu/cross_entropy_head.h's description with device pointers (its chunk is not
// read: the GPU takes row blocks of the whole vocabulary), its labels checked by the caller, and
// `labelled` of them not ignored.
void cross_entropy_head(const cpu::HeadProblem& problem, int64_t labelled,
                        const HeadOutputs& outputs);

}  // namespace retune::ops::cuda
