// The CPU kernels of ops/cross_entropy_head.h on raw pointers. The logits are made by sgemm one
// vocabulary chunk and one block of labelled rows at a time into scratch of at most
// kHeadScratchFloats floats (ops/cpu/head_chunks.h) (a block is at least one row). Beside it each
// call holds the labelled rows of x and of dx ([n, C] each) and, for a 16-bit head, one chunk of
// weight rows converted to f32 ([chunk, C]). The softmax runs in parallel over rows (static
// schedule) and each row is reduced by one thread in a fixed order, so the results are
// deterministic for a given thread count. (Across thread counts they may differ in the last bits:
// OpenBLAS 0.3.21 splits some sgemm depths differently in its threaded driver.)
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "ops/cpu/head_chunks.h"

namespace retune::ops::cpu {

// x [N, C] f32; weight [V, C] f32, bf16 or f16 (16-bit rows are converted to f32 a chunk at a
// time); labels [N] in [0, V) or kIgnoreIndex (checked by the caller); chunk >= 1 weight rows.
struct HeadProblem {
  const float* x;
  const void* weight;
  DType weight_dtype;
  const int32_t* labels;
  int64_t N, C, V;
  int64_t chunk;
};

// Writes lse [N] (0 at ignored rows) and returns the mean loss over labelled rows (0 if none).
float cross_entropy_head_forward(const HeadProblem& problem, float* lse);

// Overwrites dx [N, C] and adds to dweight [V, C] (skipped when null), given the upstream
// dloss and the forward's lse [N].
void cross_entropy_head_backward(const HeadProblem& problem, float dloss, const float* lse,
                                 float* dx, float* dweight);

// Both for a given dloss, each logit made once: writes lse and dx, adds to dweight (skipped when
// null), returns the loss.
float cross_entropy_head_forward_backward(const HeadProblem& problem, float dloss, float* lse,
                                          float* dx, float* dweight);

}  // namespace retune::ops::cpu
