// The per-row half of the GPU's fused output head and cross-entropy (ops/cuda/
// cross_entropy_head.h): softmax statistics, losses and logit gradients of a block of rows whose
// logits are in memory. Built with RETUNE_CUDA; device pointers, the current device's stream.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

// For each of `rows` rows of logits [rows, V] f32 with labels [rows] (kIgnoreIndex: ignored):
//   lse[n]      = logsumexp of the row (written; 0 at ignored rows), or read when lse_given
//   row_loss[n] = lse[n] - logits[n, label] (0 at ignored rows)
//   dlogits[n]  = grad_scale * (softmax(row) - onehot(label)) as bf16 bits (0 at ignored rows);
//                 skipped when dlogits is null
void cross_entropy_rows(const float* logits, int64_t rows, int64_t V, const int32_t* labels,
                        float* lse, bool lse_given, float* row_loss, float grad_scale,
                        uint16_t* dlogits);

// loss[0] = (sum of row_loss[0 .. N)) * scale, summed in double in a fixed order.
void sum_row_losses(const float* row_loss, int64_t N, float scale, float* loss);

}  // namespace retune::ops::cuda
