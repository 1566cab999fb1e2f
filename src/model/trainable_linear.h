// One linear layer of a model in training: the frozen or trainable weight, its bias, the
// adapter attached to it and the gradients that are wanted. Shared by the architectures'
// training graphs.
//
//   forward:  y = x op(W) + adapter + b      x: [N, I], y: [N, O]
//             op(W) = W^T for nn.Linear weights stored [O, I], W for GPT-2's Conv1D [I, O]
//   backward: given dy [N, O]: dx [N, I] (written or added to), and, when they are defined,
//             weight_grad += the weight's gradient, bias_grad += sum over rows of dy, and the
//             adapter's own parameter gradients.
// x and y (and so dy) are f32, or bf16 where the model keeps an activation in bf16 (on a GPU): x
// and dx of a linear whose adapter (if any) takes bf16 activations, y of one without a bias too.
#pragma once

#include "core/tensor.h"
#include "model/linear_adapter.h"

namespace retune::model {

struct TrainableLinear {
  Tensor weight;                     // [O, I], or [I, O] when conv1d; any float dtype
  Tensor bias;                       // [O] f32, or undefined
  LinearAdapter* adapter = nullptr;  // not owned; null: none
  Tensor weight_grad;                // f32, the weight's shape; undefined: frozen
  Tensor bias_grad;                  // f32 [O]; undefined: frozen (or no bias)
  bool conv1d = false;
  DType output = DType::f32;  // y's dtype: f32 or bf16 (see above)

  int64_t out_features() const { return weight.size(conv1d ? 1 : 0); }
  // Whether x may be bf16: no adapter, or one that takes bf16 activations.
  bool takes_bf16_input() const { return !adapter || adapter->takes_bf16_activations(); }
  // Whether y may be bf16: no bias, and x may be bf16 (an adapter's z and dz are bf16 too).
  bool can_output_bf16() const { return !bias.defined() && takes_bf16_input(); }
  // Whether backward reads x: the weight's gradient and an adapter's need it; dx and the bias's
  // gradient do not (a frozen linear's backward may be given an undefined x, which a training
  // graph then need not compute again).
  bool needs_input() const { return adapter || weight_grad.defined(); }

  // y for the input x; the adapter keeps what its backward needs.
  Tensor forward(const Tensor& x) const;
  // The gradients for dy after forward(x). dx is overwritten, or added to when accumulate_dx;
  // an undefined dx skips the input's gradient. x may be undefined unless needs_input().
  void backward(const Tensor& x, const Tensor& dy, const Tensor& dx, bool accumulate_dx) const;
};

}  // namespace retune::model
