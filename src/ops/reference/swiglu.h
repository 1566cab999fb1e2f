// Plain-loop reference of ops/swiglu.h on n elements, in any floating type (double for the
// checks).
#pragma once

#include <cmath>
#include <cstdint>

namespace retune::ops::reference {

// out = silu(gate) * up.
template <typename T>
void swiglu_forward(const T* gate, const T* up, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (T(1) + std::exp(-gate[i])) * up[i];
}

// dgate = dout * up * silu'(gate), dup = dout * silu(gate) (overwritten).
template <typename T>
void swiglu_backward(const T* gate, const T* up, const T* dout, T* dgate, T* dup, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T s = T(1) / (T(1) + std::exp(-gate[i]));
    dgate[i] = dout[i] * up[i] * (s + gate[i] * s * (T(1) - s));
    dup[i] = dout[i] * gate[i] * s;
  }
}

}  // namespace retune::ops::reference
