// The LoRA starts computed from the base weight alone (no data), as PEFT computes them
// (huggingface/peft src/peft/tuners/lora/layer.py pissa_init, olora_init).
//
//   W: f32 [O, I] (nn.Linear layout), r <= min(O, I), s the module's scaling.
//   PiSSA: W = U S Vt; with S_r the top r singular values divided by s,
//          A0 = diag(sqrt(S_r)) Vt[:r]   [r, I],   B0 = U[:, :r] diag(sqrt(S_r))   [O, r],
//          so s B0 A0 is W's best rank-r approximation. With niter > 0 the SVD is randomized
//          (torch.svd_lowrank(W, q = r, niter)), drawn from `seed` (PEFT: pissa_niter_<k>).
//   OLoRA: W = Q R (reduced QR, LAPACK's Householder signs as torch.linalg.qr);
//          A0 = R[:r]   [r, I],   B0 = Q[:, :r]   [O, r]   (not divided by s, as in PEFT).
// Both are residual starts: the base weight becomes W - s B0 A0.
#pragma once

#include <cstdint>

#include "adapters/lora_start.h"

namespace retune::adapters {

LoraStart pissa_start(const Tensor& weight, int64_t r, float scaling, int64_t niter, uint64_t seed);

LoraStart olora_start(const Tensor& weight, int64_t r);

}  // namespace retune::adapters
