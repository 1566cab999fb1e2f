#include "ops/cpu/add.h"

namespace retune::ops::cpu {
namespace {
// Below this many elements one thread adds (a parallel region costs more).
constexpr int64_t kParallelElements = 1 << 15;
}  // namespace

void add_forward(const float* a, const float* b, float* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void bias_add_forward(float* y, const float* bias, int64_t N, int64_t O) {
#pragma omp parallel for schedule(static) if (N * O >= kParallelElements)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) y[n * O + o] += bias[o];
  }
}

void bias_add_backward(const float* dy, float* dbias, int64_t N, int64_t O) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) dbias[o] += dy[n * O + o];
  }
}

}  // namespace retune::ops::cpu
