// Plain-loop reference of ops/dropout.h on n elements, in any floating type (double for the
// checks). The mask comes from the same counter_uniform draws as the op's.
#pragma once

#include <cstdint>

#include "core/rng.h"

namespace retune::ops::reference {

// out_i = in_i / (1 - p) where counter_uniform(seed, offset + i) >= p, else 0. The same map
// gives the backward (in = dout, out = dx).
template <typename T>
void dropout(const T* in, T* out, int64_t n, float p, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    out[i] = keep ? in[i] / (T(1) - T(p)) : T(0);
  }
}

}  // namespace retune::ops::reference
