// Token embedding: each token's row of the table.
//
//   out[n, :] = table[ids[n], :]
//
// ids:   i32 [N], each in [0, V) (on the CPU an id outside throws, naming its position; on a
//        GPU, where checking would copy the ids back, it reads as a row of zeros and its
//        gradient is dropped: ops/cuda/embedding.h)
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
// dtable is skipped. On a GPU the repeats are added atomically, in no fixed order.
void embedding_backward(const Tensor& ids, const Tensor& dout, const Tensor& dtable);

}  // namespace retune::ops
