// Rotary position embeddings in Hugging Face's "rotate_half" layout, with partial rotary.
//
// x:         [B, T, H, D] f32 (queries or keys as the projections produce them)
// positions: [B, T] i32, the position of each token (packed sequences restart it per document)
// inv_freq:  [R/2] f32, the frequency of each rotated pair; R (even, 2 <= R <= D) is the number
//            of rotary dims, dims R..D-1 pass through unchanged (HF's partial_rotary_factor)
// out:       [B, T, H, D] f32
// For i < R/2, with angle = float(pos) * inv_freq[i] rounded to f32 as HF computes it:
//   out[i]       = x[i] cos(angle) - x[i + R/2] sin(angle)
//   out[i + R/2] = x[i + R/2] cos(angle) + x[i] sin(angle)
// All tensors contiguous. `out` is caller-allocated and may be x itself (in place); otherwise
// it may not overlap x. Rope scaling of the Llama 3, linear and
// NTK kinds changes inv_freq only; YaRN and LongRoPE also scale cos/sin (an attention factor),
// which this op does not do yet.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace retune::ops {

void rope_forward(const Tensor& x, const Tensor& positions, const Tensor& inv_freq,
                  const Tensor& out);

// Gradient of rope given dout = dL/dout [B, T, H, D]: the rotation by -angle. dx [B, T, H, D]
// is overwritten; it may be dout itself (in place), otherwise it may not overlap dout.
void rope_backward(const Tensor& dout, const Tensor& positions, const Tensor& inv_freq,
                   const Tensor& dx);

// A new CPU f32 tensor [R/2] with inv_freq[i] = 1 / theta^(2i / R), computed in f32 as HF's
// `1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))`.
// rotary_dims (R) must be even and positive, theta positive.
Tensor rope_inv_freq(double theta, int64_t rotary_dims);

}  // namespace retune::ops
