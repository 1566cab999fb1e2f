// The CPU kernels of ops/kl_divergence_head.h on raw pointers. Each pass makes the student's and
// the teacher's logits for one vocabulary chunk and one block of scored rows by sgemm into
// scratch of at most kHeadScratchFloats floats (ops/cpu/head_chunks.h; a block is at least one
// row); beside it each call holds the scored rows of x, teacher_x and dx ([n, C] each) and, for a
// 16-bit head, one chunk of its rows converted to f32 ([chunk, C] per head). Rows are processed
// in parallel (static schedule), each reduced by one thread in a fixed order: deterministic for
// a given thread count.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace retune::ops::cpu {

// x, teacher_x [N, C] f32; weight, teacher_weight [V, C] f32, bf16 or f16; labels [N] (a row
// mask: kIgnoreIndex or anything else); temperature > 0; chunk >= 1 weight rows. Checked by the
// caller.
struct KlHeadProblem {
  const float* x;
  const void* weight;
  DType weight_dtype;
  const float* teacher_x;
  const void* teacher_weight;
  DType teacher_weight_dtype;
  const int32_t* labels;
  int64_t N, C, V;
  float temperature;
  int64_t chunk;
};

// The first pass: writes lse and teacher_lse [N] (0 at ignored rows).
void kl_divergence_head_lse(const KlHeadProblem& problem, float* lse, float* teacher_lse);

// The second pass, given the first's results: returns the loss and, when dx [N, C] or
// dweight [V, C] is not null, overwrites dx and adds to dweight the gradients for dloss.
float kl_divergence_head_loss(const KlHeadProblem& problem, const float* lse,
                              const float* teacher_lse, float dloss, float* dx, float* dweight);

}  // namespace retune::ops::cpu
