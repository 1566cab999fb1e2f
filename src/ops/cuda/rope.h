// The CUDA rotary-embedding kernel (see ops/rope.h), on device pointers: one thread per rotated
// pair (i, i + R/2) of a head, which computes its angle's cos and sin, and one per passed-through
// dim (only when out is not x).
#pragma once

#include <cstdint>

namespace retune::ops::cuda {

// out[n, h] = x[n, h] with dims [0, R) rotated by angle[n, i] = float(positions[n]) *
// inv_freq[i] (by -angle when inverse: the backward) and dims [R, D) copied, for the
// tokens n < N of H heads of D dims. x and out are contiguous [N, H, D]; out may equal x.
void rope_forward(const float* x, const int32_t* positions, const float* inv_freq, float* out,
                  int64_t tokens, int64_t heads, int64_t head_dim, int64_t rotary_dims,
                  bool inverse);

}  // namespace retune::ops::cuda
