// The CPU's rotary-embedding kernel (ops/rope.h): per token, the cos and sin of its R/2 angles
// are computed once and applied to all H heads; OpenMP over the B*T tokens.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// out[n, h] = x[n, h] with dims [0, R) rotated by angle[n, i] = float(positions[n]) *
// inv_freq[i] (by -angle when inverse: the backward) and dims [R, D) copied, for the
// tokens n < N of H heads of D dims. x and out are contiguous [N, H, D]; out may equal x.
void rope_forward(const float* x, const int32_t* positions, const float* inv_freq, float* out,
                  int64_t tokens, int64_t heads, int64_t head_dim, int64_t rotary_dims,
                  bool inverse);

}  // namespace retune::ops::cpu
