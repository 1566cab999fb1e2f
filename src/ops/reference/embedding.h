// Plain-loop reference of ops/embedding.h, in any floating type (double for the checks).
#pragma once

#include <cstdint>

namespace retune::ops::reference {

// out[n, :] = table[ids[n], :]; table [V, C], out [N, C].
template <typename T>
void embedding_forward(const int32_t* ids, const T* table, T* out, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) out[n * C + c] = table[ids[n] * C + c];
  }
}

// dtable[ids[n], :] += dout[n, :] (accumulates, like the op).
template <typename T>
void embedding_backward(const int32_t* ids, const T* dout, T* dtable, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) dtable[ids[n] * C + c] += dout[n * C + c];
  }
}

}  // namespace retune::ops::reference
