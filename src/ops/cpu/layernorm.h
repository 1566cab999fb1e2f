// The CPU's LayerNorm kernels (see ops/layernorm.h). x, dout, out, dx: [N, C]; weight, bias,
// dweight, dbias: [C]; mean, rstd: [N].
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// Parallel over rows.
void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t N, int64_t C,
                       float eps, float* out, float* mean, float* rstd);

// dx (overwritten, or += when accumulate_dx; parallel over rows), dweight and dbias (+=; parallel
// over blocks of columns); any may be null.
void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t N, int64_t C, float* dx, float* dweight,
                        float* dbias, bool accumulate_dx);

}  // namespace retune::ops::cpu
