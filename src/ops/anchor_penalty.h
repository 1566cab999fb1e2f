// The elementwise work of the weight-anchoring penalties (train/weight_anchor.h: L2-SP and EWC)
// on the trained tensors' device, every tensor at once.
//
// anchor_penalty: for each trained tensor θ with its values before training θ0, its gradient g
// and, for EWC, its diagonal Fisher F,
//
//   w = l2sp + ewc · F      (l2sp alone where F is undefined)
//   g += w ⊙ (θ − θ0)
//
// and returns Ω = ½ Σ w ⊙ (θ − θ0)² over every element of every tensor. Each element's terms are
// computed in double (g's update rounded to f32 once) and Ω is summed in double in a fixed order
// (fixed blocks, then the blocks in order), on a GPU too: it does not depend on the thread count.
// On a GPU Ω is read back, which waits for the work queued before.
//
// add_squares: sums += scale · g ⊙ g for each pair of tensors (the Fisher's mean of squared
// gradients, one row's gradients at a time).
//
// Every tensor f32, contiguous, on one device (the CPU or a GPU); g and sums writable and not
// sharing memory with the tensors read; θ, θ0, F and g of one shape, as each pair of g and sums.
// l2sp, ewc >= 0.
#pragma once

#include <span>

#include "core/tensor.h"

namespace retune::ops {

struct AnchoredTensor {
  Tensor value;   // θ
  Tensor start;   // θ0
  Tensor fisher;  // F; undefined for L2-SP alone
  Tensor grad;    // g, added to
};

double anchor_penalty(std::span<const AnchoredTensor> tensors, double l2sp, double ewc);

void add_squares(std::span<const Tensor> grads, std::span<const Tensor> sums, float scale);

}  // namespace retune::ops
