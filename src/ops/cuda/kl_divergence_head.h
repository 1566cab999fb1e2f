// The GPU's output head fused with the KL divergence from a teacher's predictions
// (ops/kl_divergence_head.h), built with RETUNE_CUDA, as cross_entropy_head.h's: rows are taken
// in blocks (head_weight.h's head_row_block), whose student and teacher logits / τ over the whole
// vocabulary are made by two bf16 products into scratch; the row kernel (kl_divergence_rows.h)
// turns them into both logsumexps, each row's KL and the bf16 gradient of the student's logits;
// two more products give the block's dx and add to dweight. The [N, V] logits never exist at
// once.
#pragma once

#include <cstdint>

#include "ops/cpu/kl_divergence_head.h"

namespace retune::ops::cuda {

// What to compute. loss f32 [1] (null: not wanted) = τ² times the mean KL over the scored rows
// (0 when none); lse and teacher_lse f32 [N] are written, or read when lse_given; dx f32 [N, C] is
// overwritten and dweight f32 [V, C] added to, each skipped when null, for the gradient of
// dloss * loss.
struct KlHeadOutputs {
  float* loss;
  float* lse;
  float* teacher_lse;
  bool lse_given;
  float dloss;
  float* dx;
  float* dweight;
};

// `problem` is ops/cpu/kl_divergence_head.h's description with device pointers (its chunk is not
// read: the GPU takes row blocks of the whole vocabulary), `scored` of its rows scored.
void kl_divergence_head(const cpu::KlHeadProblem& problem, int64_t scored,
                        const KlHeadOutputs& outputs);

}  // namespace retune::ops::cuda
