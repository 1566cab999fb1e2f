// The per-row half of the GPU's fused output head and KL divergence (ops/cuda/
// kl_divergence_head.h): both softmaxes' statistics, each row's KL and the gradient of the
// student's logits, for a block of rows whose student and teacher logits (already divided by the
// temperature) are in memory. Built with RETUNE_CUDA; device pointers, the current device's
// stream.
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

// For each of `rows` rows of student and teacher logits / τ, s and t [rows, V] f32, with labels
// [rows] (kIgnoreIndex: the row is not scored):
//   lse[n], teacher_lse[n] = logsumexp of s[n] and t[n] (written; 0 at unscored rows), or read
//                            when lse_given
//   row_kl[n]  = sum_v p_t (log p_t - log p_s), p = softmax of the row (0 at unscored rows)
//   dlogits[n] = grad_scale * (p_s - p_t) as bf16 bits (0 at unscored rows); skipped when null
void kl_divergence_rows(const float* student, const float* teacher, int64_t rows, int64_t V,
                        const int32_t* labels, float* lse, float* teacher_lse, bool lse_given,
                        float* row_kl, float grad_scale, uint16_t* dlogits);

}  // namespace retune::ops::cuda
