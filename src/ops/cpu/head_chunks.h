// Pieces shared by the CPU kernels of the fused output heads (ops/cpu/cross_entropy_head.h,
// ops/cpu/kl_divergence_head.h): a head's weight rows a vocabulary chunk at a time, the row
// blocks whose logits fit the scratch, the rows a mask keeps, and the softmax's running
// logsumexp over chunks.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/dtype.h"

namespace retune::ops::cpu {

inline constexpr int64_t kHeadScratchFloats = int64_t{1} << 23;  // 32 MiB of logits

// Rows [v0, v0 + count) of a head weight [V, C] of `dtype` as f32: the weight itself when f32,
// else converted (bf16 or f16) into `scratch`, which the result then points into.
const float* head_weight_rows(const void* weight, DType dtype, int64_t C, int64_t v0, int64_t count,
                              std::vector<float>& scratch);

// Rows per block so that `buffers` buffers of `width` logits per row fit kHeadScratchFloats (at
// least one row, at most `rows`).
int64_t head_row_block(int64_t rows, int64_t width, int64_t buffers = 1);

// The positions n < N whose label is not kIgnoreIndex, in order.
std::vector<int64_t> scored_rows(const int32_t* labels, int64_t N);

// Rows `index` of x [N, C] packed together: [index.size(), C].
std::vector<float> gather_rows(const float* x, int64_t C, const std::vector<int64_t>& index);

// Writes the packed rows `values` [index.size(), C] back to their places in `out` [N, C].
void scatter_rows(const std::vector<int64_t>& index, const std::vector<float>& values, int64_t C,
                  float* out);

float row_max(const float* row, int64_t count);

// row[j] = exp(row[j] - shift); returns their sum, accumulated in double.
double exp_in_place(float* row, int64_t count, float shift);

// One row's logsumexp over the chunks of its logits seen so far.
struct RunningLse {
  float max = -std::numeric_limits<float>::infinity();
  double sum = 0;  // of exp(logit - max)

  // Takes in the logits of one chunk, overwriting them with exp(logit - new max).
  void add(float* logits, int64_t count);
  double value() const;
};

}  // namespace retune::ops::cpu
