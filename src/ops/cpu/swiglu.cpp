#include "ops/cpu/swiglu.h"

#include "ops/cpu/vector_exp.h"

namespace retune::ops::cpu {

void swiglu_forward(const float* gate, const float* up, int64_t n, float* out) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + vector_exp(-gate[i])) * up[i];
}

void swiglu_backward(const float* gate, const float* up, const float* dout, int64_t n, float* dgate,
                     float* dup) {
  // With s = sigmoid(gate): silu = gate * s, silu' = s * (1 + gate * (1 - s)).
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + vector_exp(-gate[i]));
    if (dgate) dgate[i] = dout[i] * up[i] * s * (1.0f + gate[i] * (1.0f - s));
    if (dup) dup[i] = dout[i] * gate[i] * s;
  }
}

}  // namespace retune::ops::cpu
