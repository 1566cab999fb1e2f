// The CPU's additions (ops/add.h) on contiguous f32 data.
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// out[i] = a[i] + b[i] for i < n; out may be a or b.
void add_forward(const float* a, const float* b, float* out, int64_t n);
// y[n, o] += bias[o] for y [N, O].
void bias_add_forward(float* y, const float* bias, int64_t N, int64_t O);
// dbias[o] += sum over n of dy[n, o], each column summed in row order.
void bias_add_backward(const float* dy, float* dbias, int64_t N, int64_t O);

}  // namespace retune::ops::cpu
