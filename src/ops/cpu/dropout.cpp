#include "ops/cpu/dropout.h"

#include <algorithm>
#include <cstring>

#include "core/rng.h"

namespace retune::ops::cpu {

void dropout(const float* in, int64_t n, float p, uint64_t seed, uint64_t offset, float* out) {
  if (p == 0.0f) {
    std::memcpy(out, in, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  if (p == 1.0f) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = counter_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    out[i] = keep ? in[i] * scale : 0.0f;
  }
}

}  // namespace retune::ops::cpu
