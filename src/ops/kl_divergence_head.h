// The output head fused with the KL divergence from a teacher's predictions (self-distillation,
// Hinton et al. 2015): neither the student's nor the teacher's logits [N, V] are materialised.
//
//   p_s = softmax(x W^T / τ),  p_t = softmax(x_t W_t^T / τ)           (row by row)
//   loss = mean over scored rows n of τ² · Σ_v p_t[n, v] (log p_t[n, v] − log p_s[n, v])
//
// τ² keeps the gradient's scale as τ changes: d loss / d logits_s[n] = τ (p_s[n] − p_t[n]) / count
// (the 1/τ of the softmax's argument times the τ² of the loss), count the scored rows.
//
// x:              f32 [N, C]  the student's final hidden states (N = B*T rows)
// weight:         [V, C]      the student's output head, Hugging Face layout; f32, or bf16/f16 for
//                             a frozen head (converted to f32 a chunk of rows at a time)
// teacher_x:      f32 [N, C]  the teacher's final hidden states for the same tokens
// teacher_weight: [V, C]      the teacher's output head (f32, bf16 or f16); may be `weight`
//                             itself when the head does not train
// labels:         i32 [N]     a row mask: rows whose label is kIgnoreIndex take no part; any
//                             other value scores the row (its value is not read)
// temperature:    τ, finite and > 0
// loss:           f32 [1]     the mean over scored rows
// lse:            f32 [N]     logsumexp of each row's student logits / τ; 0 at ignored rows
// teacher_lse:    f32 [N]     the same for the teacher
//
// The vocabulary is processed `chunk` weight rows at a time in two passes: the first finds every
// row's two logsumexps, the second makes the KL and the gradients; each pass makes the logits of
// one chunk and one block of scored rows by sgemm into bounded scratch (ops/cpu/head_chunks.h).
// The teacher takes no gradient. When no row is scored the loss and every gradient are 0.
//
// All tensors contiguous and on one device (the CPU or a GPU); outputs are caller-allocated and
// may not alias the inputs. Deterministic for a given thread count. On a GPU the scored rows are
// counted on the host (the labels are copied there, which waits for the work queued before,
// unless the caller has a host copy), and (ops/cuda/kl_divergence_head.h) the products take bf16
// operands with f32 accumulation, and `chunk` is not read: the GPU makes the logits of blocks of
// rows over the whole vocabulary.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "ops/cross_entropy_head.h"

namespace retune::ops {

// Writes loss, lse and teacher_lse.
void kl_divergence_head_forward(const Tensor& x, const Tensor& weight, const Tensor& teacher_x,
                                const Tensor& teacher_weight, const Tensor& labels,
                                float temperature, const Tensor& loss, const Tensor& lse,
                                const Tensor& teacher_lse, int64_t chunk = kCrossEntropyHeadChunk);

// Gradients given dloss f32 [1] and the forward's lse and teacher_lse. dx f32 [N, C] is
// overwritten; dweight f32 [V, C] is added to. Either may be undefined, which skips its product
// (dweight for a frozen head). Neither may share memory with an input.
void kl_divergence_head_backward(const Tensor& dloss, const Tensor& x, const Tensor& weight,
                                 const Tensor& teacher_x, const Tensor& teacher_weight,
                                 const Tensor& labels, float temperature, const Tensor& lse,
                                 const Tensor& teacher_lse, const Tensor& dx, const Tensor& dweight,
                                 int64_t chunk = kCrossEntropyHeadChunk);

// The forward and the backward for a given dloss (training): writes loss and dx, adds to
// dweight (dx and dweight may be undefined, as for the backward); two passes over the logits
// instead of the three of forward then backward (one on a GPU). host_labels, when given, is an
// i32 [N] copy of labels on the host: the scored rows are counted there.
void kl_divergence_head_forward_backward(const Tensor& x, const Tensor& weight,
                                         const Tensor& teacher_x, const Tensor& teacher_weight,
                                         const Tensor& labels, float temperature,
                                         const Tensor& loss, const Tensor& dx,
                                         const Tensor& dweight, float dloss = 1.0f,
                                         int64_t chunk = kCrossEntropyHeadChunk,
                                         const Tensor& host_labels = Tensor());

}  // namespace retune::ops
