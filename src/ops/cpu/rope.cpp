#include "ops/cpu/rope.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace retune::ops::cpu {

namespace {

// Rotates the pairs (i, i + half) of one head by the angles whose cos and sin are given and
// copies the dims past 2 * half. out may equal x: each pair is read before it is written.
void rotate_head(const float* x, const float* cos, const float* sin, float* out, int64_t half,
                 int64_t head_dim) {
  for (int64_t i = 0; i < half; ++i) {
    const float x1 = x[i];
    const float x2 = x[i + half];
    out[i] = x1 * cos[i] - x2 * sin[i];
    out[i + half] = x2 * cos[i] + x1 * sin[i];
  }
  if (out != x) std::copy(x + 2 * half, x + head_dim, out + 2 * half);
}

}  // namespace

void rope_forward(const float* x, const int32_t* positions, const float* inv_freq, float* out,
                  int64_t tokens, int64_t heads, int64_t head_dim, int64_t rotary_dims,
                  bool inverse) {
  const int64_t half = rotary_dims / 2;
  const float sign = inverse ? -1.0f : 1.0f;
#pragma omp parallel
  {
    std::vector<float> cos(static_cast<size_t>(half));
    std::vector<float> sin(static_cast<size_t>(half));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < tokens; ++n) {
      const float position = static_cast<float>(positions[n]);
      for (int64_t i = 0; i < half; ++i) {
        const float angle = position * inv_freq[i];  // rounded to f32, as HF computes it
        cos[i] = std::cos(angle);
        sin[i] = sign * std::sin(angle);
      }
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t at = (n * heads + h) * head_dim;
        rotate_head(x + at, cos.data(), sin.data(), out + at, half, head_dim);
      }
    }
  }
}

}  // namespace retune::ops::cpu
