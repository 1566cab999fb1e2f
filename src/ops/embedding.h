// Token embedding: each token's row of the table.
//
//   out[n, :] = table[ids[n], :]
//
// ids:   i32 [N], each in [0, V) (an id outside throws, naming its position)
// table: [V, C] in f32, bf16 or f16 (frozen weights stay in the file's dtype; each row is
//        converted to f32 as it is read)
// out:   f32 [N, C], caller-allocated
// All contiguous.
#pragma once

#include "core/tensor.h"

namespace retune::ops {

void embedding_forward(const Tensor& ids, const Tensor& table, const Tensor& out);

// dtable[ids[n], :] += dout[n, :] for every n: dtable f32 [V, C] is a parameter gradient and
// accumulates (a token that repeats adds once per occurrence). dout is f32 [N, C]. An undefined
// dtable is skipped.
void embedding_backward(const Tensor& ids, const Tensor& dout, const Tensor& dtable);

}  // namespace retune::ops
