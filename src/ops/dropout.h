// Dropout with a counter-based mask: element i of a call with (seed, offset) is kept when
//
//   keep_i = counter_uniform(seed, offset + i) >= p          (core/rng.h)
//
// and out_i = keep_i ? x_i / (1 - p) : 0. The mask depends only on (seed, offset, i), never on
// the thread count, and the backward recomputes it instead of storing it. Give consecutive calls
// of a step different offsets (e.g. advance by each call's numel) so their masks differ.
// p in [0, 1]: p == 0 copies x, p == 1 gives zeros.
// x, out, dout, dx: any shape (treated as N flat elements), the same shape, contiguous; each f32
// or bf16 (a bf16 activation, computed in f32); outputs are caller-allocated.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune::ops {

void dropout_forward(const Tensor& x, const Tensor& out, float p, uint64_t seed, uint64_t offset);

// dx = dout * keep / (1 - p) with the forward's (p, seed, offset) (dx is overwritten; it may be
// dout itself).
void dropout_backward(const Tensor& dout, const Tensor& dx, float p, uint64_t seed,
                      uint64_t offset);

}  // namespace retune::ops
