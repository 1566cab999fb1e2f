#include "ops/cuda/launch.cuh"
#include "ops/cuda/rope.h"

namespace retune::ops::cuda {

namespace {

constexpr int kThreads = 256;

// Item i < half of a head rotates the pair (i, i + half); item half + j copies dim R + j (only
// launched when out is not x). A pair is read before it is written by the same thread, so out
// may equal x.
__global__ void rope_kernel(const float* x, const int32_t* positions, const float* inv_freq,
                            float* out, int64_t heads, int64_t head_dim, int64_t half,
                            int64_t items_per_head, int64_t items, float sign) {
  for (int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; item < items;
       item += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t head = item / items_per_head;  // n * heads + h
    const int64_t i = item % items_per_head;
    const float* xh = x + head * head_dim;
    float* oh = out + head * head_dim;
    if (i < half) {
      const float angle = static_cast<float>(positions[head / heads]) * inv_freq[i];
      float sine, cosine;
      sincosf(angle, &sine, &cosine);
      sine *= sign;
      const float x1 = xh[i];
      const float x2 = xh[i + half];
      oh[i] = x1 * cosine - x2 * sine;
      oh[i + half] = x2 * cosine + x1 * sine;
    } else {
      const int64_t d = i + half;  // 2 * half + (i - half)
      oh[d] = xh[d];
    }
  }
}

}  // namespace

void rope_forward(const float* x, const int32_t* positions, const float* inv_freq, float* out,
                  int64_t tokens, int64_t heads, int64_t head_dim, int64_t rotary_dims,
                  bool inverse) {
  const int64_t half = rotary_dims / 2;
  // In place, the dims past R already hold themselves.
  const int64_t items_per_head = out == x ? half : head_dim - half;
  const int64_t items = tokens * heads * items_per_head;
  if (items == 0) return;
  rope_kernel<<<blocks_for(items, kThreads), kThreads, 0, stream()>>>(
      x, positions, inv_freq, out, heads, head_dim, half, items_per_head, items,
      inverse ? -1.0f : 1.0f);
  check_launch(inverse ? "rope_backward" : "rope_forward");
}

}  // namespace retune::ops::cuda
