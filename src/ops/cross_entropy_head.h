// The output head fused with the cross-entropy loss: the logits x W^T are never materialised.
//
//   loss = mean over labelled rows n of (logsumexp_v(x_n . w_v) - x_n . w_{labels[n]})
//
// x:       f32 [N, C]  final hidden states (N = B*T rows)
// weight:  [V, C]      the lm_head or tied embedding, Hugging Face layout; f32, or bf16/f16 for
//                      a frozen head (converted to f32 a chunk of rows at a time)
// labels:  i32 [N]     the class of each row, or kIgnoreIndex (any other value outside [0, V)
//                      is an Error naming its position)
// loss:    f32 [1]     the mean loss over labelled rows
// lse:     f32 [N]     logsumexp of each row's logits, saved for the backward; 0 at ignored rows
//
// The vocabulary is processed `chunk` rows of the weight at a time and the rows of x in blocks:
// each block's logits for one chunk are made by sgemm into a bounded scratch buffer. Ignored
// rows take no part in any product.
//
// When every label is ignored the loss is 0 and every gradient is 0. PyTorch's mean reduction
// would give NaN (0 / 0); 0 keeps an all-ignored micro-batch from poisoning gradient
// accumulation.
//
// All tensors contiguous and on one device; outputs are caller-allocated and may not alias the
// inputs. Deterministic for a given thread count.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune::ops {

inline constexpr int32_t kIgnoreIndex = -100;            // a label that takes no part in the loss
inline constexpr int64_t kCrossEntropyHeadChunk = 4096;  // weight rows (classes) per chunk

// Writes loss and lse.
void cross_entropy_head_forward(const Tensor& x, const Tensor& weight, const Tensor& labels,
                                const Tensor& loss, const Tensor& lse,
                                int64_t chunk = kCrossEntropyHeadChunk);

// Gradients given dloss f32 [1] (dL/dloss) and the forward's lse. dx f32 [N, C] is overwritten;
// dweight f32 [V, C] is added to (parameter gradients accumulate over micro-batches). Either may
// be undefined, which skips its product: dweight for a frozen head, dx when only the head
// trains. Neither may share memory with x or weight.
void cross_entropy_head_backward(const Tensor& dloss, const Tensor& x, const Tensor& weight,
                                 const Tensor& labels, const Tensor& lse, const Tensor& dx,
                                 const Tensor& dweight, int64_t chunk = kCrossEntropyHeadChunk);

// The forward and the backward for a given dloss in one pass over the logits (training, where
// the loss is the objective; dloss scales a micro-batch's share of a larger batch's mean): each
// row block's logits for the whole vocabulary are made once, in a bounded scratch buffer,
// instead of twice. Writes loss, lse and dx; adds to dweight (dx and dweight may be undefined,
// as for the backward). Equal to cross_entropy_head then cross_entropy_head_backward up to
// rounding.
//
// host_labels, when defined, is a copy of labels on the host (i32 [N], contiguous), which the
// checks read instead of copying labels there: on a GPU that copy would wait for every kernel
// queued before it (a training step's whole forward). The caller vouches that the two are equal.
void cross_entropy_head_forward_backward(const Tensor& x, const Tensor& weight,
                                         const Tensor& labels, const Tensor& loss,
                                         const Tensor& lse, const Tensor& dx, const Tensor& dweight,
                                         float dloss = 1.0f, int64_t chunk = kCrossEntropyHeadChunk,
                                         const Tensor& host_labels = Tensor());

}  // namespace retune::ops
