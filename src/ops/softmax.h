// Softmax over the last dim, numerically stable (the row's max is subtracted first):
//
//   y[n, c] = exp(x[n, c] - max_c x[n, :]) / sum_c' exp(x[n, c'] - max_c x[n, :])
//
// x, y: f32 [N, C], contiguous; y is caller-allocated.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void softmax_forward(const Tensor& x, const Tensor& y);

// dx = y * (dy - sum_c(dy * y)) per row, from the forward's output y (dx is overwritten).
void softmax_backward(const Tensor& y, const Tensor& dy, const Tensor& dx);

}  // namespace retune::ops
