// A spec of a norm's backward that adds dx into a gradient it is given (accumulate_dx, as into
// a residual stream's gradient), built from the norm's own spec.
#pragma once

#include <functional>

#include "ops/check/op_spec.h"

namespace retune::ops {

// The op's own backward with accumulate_dx, on dout = in.at("dout"), the forward's outputs
// `out` (its saved statistics), adding into dx.
using AccumulatingBackward =
    std::function<void(const Tensors& in, const Tensors& out, const Tensor& dx)>;

// Inputs: plain's (x [N, C] first), dout and dx0 (both x's shape), none differentiated. Output:
// dx = dx0 + plain's reference dx for dout, on plain's reference forward; the op runs plain's
// forward, then `backward` into a copy of dx0. Named "<plain.op>_backward", variant
// "<plain.variant> dx accumulates".
OpSpec accumulating_dx_spec(const OpSpec& plain, AccumulatingBackward backward);

}  // namespace retune::ops
