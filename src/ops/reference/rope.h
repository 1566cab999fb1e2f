// Plain-loop reference of ops/rope.h, in any floating type (double for the checks).
// x and out are contiguous [N, H, D] for the N = B*T tokens; positions [N]; inv_freq [R/2].
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// out = x with the pairs (i, i + R/2), i < R/2, of each head rotated by angle = float(pos) *
// float(inv_freq[i]) (the product rounded to f32, as HF and the op compute it; cos and sin in
// T), or by -angle when inverse (the gradient: the transposed rotation). Dims [R, D) are copied.
template <typename T>
void rope_forward(const T* x, const int32_t* positions, const T* inv_freq, T* out, int64_t tokens,
                  int64_t heads, int64_t head_dim, int64_t rotary_dims, bool inverse) {
  const int64_t half = rotary_dims / 2;
  for (int64_t n = 0; n < tokens; ++n) {
    for (int64_t h = 0; h < heads; ++h) {
      const T* xh = x + (n * heads + h) * head_dim;
      T* oh = out + (n * heads + h) * head_dim;
      for (int64_t d = 0; d < head_dim; ++d) oh[d] = xh[d];
      for (int64_t i = 0; i < half; ++i) {
        const float angle = static_cast<float>(positions[n]) * static_cast<float>(inv_freq[i]);
        const T c = std::cos(static_cast<T>(angle));
        const T s = (inverse ? -1 : 1) * std::sin(static_cast<T>(angle));
        oh[i] = xh[i] * c - xh[i + half] * s;
        oh[i + half] = xh[i + half] * c + xh[i] * s;
      }
    }
  }
}

}  // namespace retune::ops::reference
