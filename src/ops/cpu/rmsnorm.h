// The CPU's RMSNorm kernels (see ops/rmsnorm.h). x, dout, out, dx: [N, C]; weight, dweight: [C];
// rstd: [N].
#pragma once

#include <cstdint>

namespace retune::ops::cpu {

// Parallel over rows.
void rmsnorm_forward(const float* x, const float* weight, int64_t N, int64_t C, float eps,
                     float* out, float* rstd);

// dx (overwritten, or += when accumulate_dx; parallel over rows) and dweight (+=; parallel over
// blocks of columns); either may be null.
void rmsnorm_backward(const float* dout, const float* x, const float* weight, const float* rstd,
                      int64_t N, int64_t C, float* dx, float* dweight, bool accumulate_dx);

}  // namespace retune::ops::cpu
