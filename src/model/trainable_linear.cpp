#include "model/trainable_linear.h"

#include "core/error.h"
#include "model/forward_steps.h"
#include "model/training_steps.h"
#include "ops/matmul.h"

namespace retune::model {
Tensor TrainableLinear::forward(const Tensor& x) const {
  RETUNE_CHECK(output == DType::f32 || (output == DType::bf16 && can_output_bf16()),
               "TrainableLinear: a {} output needs no bias and an adapter that takes bf16 "
               "activations",
               dtype_name(output));
  Tensor y = Tensor::empty({x.size(0), out_features()}, output, x.device());
  const bool term_first = adapter && adapter->forward_term(x, y);
  ops::matmul_forward(x, weight, y, {.trans_b = !conv1d, .beta = term_first ? 1.0f : 0.0f});
  if (adapter && !term_first) adapter->forward(x, y);
  if (bias.defined()) add_bias(y, bias);
  return y;
}

void TrainableLinear::backward(const Tensor& x, const Tensor& dy, const Tensor& dx,
                               bool accumulate_dx) const {
  if (bias_grad.defined()) add_column_sums(dy, bias_grad);
  if (!needs_input()) {
    // dx = dy op(W)^T alone: the product matmul_backward would make for it.
    if (dx.defined()) {
      ops::matmul_forward(dy, weight, dx, {.trans_b = conv1d, .beta = accumulate_dx ? 1.0f : 0.0f});
    }
    return;
  }
  RETUNE_CHECK(x.defined(), "TrainableLinear: the backward of a linear with {} needs its input",
               adapter ? "an adapter" : "a trained weight");
  Tensor dz = dy;  // the gradient of the base product x op(W)
  bool add_to_dx = accumulate_dx;
  if (adapter) {
    dz = adapter->backward(x, dy, dx, accumulate_dx);
    add_to_dx = true;
  }
  ops::matmul_backward(
      dz, x, weight,
      {.da = dx, .db = weight_grad, .accumulate_da = add_to_dx, .accumulate_db = true}, false,
      !conv1d);
}

}  // namespace retune::model
