// Randomized (low-rank) SVD: the algorithm of torch.svd_lowrank(a, q, niter) (Halko, Martinsson
// and Tropp 2009, Algorithm 5.1, with the power iterations of Algorithm 4.4 re-orthonormalised by
// a QR at every half-step, as torch/_lowrank.py's get_approximate_basis does).
//
// With a' = a when m >= n and a' = a^T otherwise (torch works on the tall orientation), and
// omega [min(m, n), q] standard normal:
//   Q = qr(a' omega).Q
//   niter times: Q = qr(a'^T Q).Q; Q = qr(a' Q).Q
//   B = Q^T a';  U_b, S, V_b^T = thin_svd(B);  U' = Q U_b
// and u, s, vt = U', S, V_b^T (m >= n) or V_b, S, U'^T (m < n).
//
// a:  [m, n], any float dtype and strides (read as double)
// u:  [m, k], s: [k] descending, vt: [k, n]    k = min(q, m, n) (q when q <= min(m, n))
// Computed in double; outputs are owned contiguous f32 tensors. u diag(s) vt is a rank-k
// approximation of a: exact (up to rounding) when rank(a) <= q, and for a decaying spectrum the
// leading singular values and vectors approach thin_svd's as niter grows (torch's default
// niter is 2; PEFT's PiSSA "pissa_niter_k" and LoRA-GA use their own). Singular vectors are
// unique only up to sign; the signs are LAPACK's (dgesdd of B).
//
// randomized_svd draws omega from retune's Rng(seed) (normal_tensor({min(m, n), q}, seed, 0, 1),
// f32 values), so results match torch's only up to the randomness (compare subspaces); the same
// seed gives the same bits on the same machine and thread count. randomized_svd_with_sketch
// takes omega instead, so that a test can replay a sketch torch drew.
//
// Throws retune::Error naming the function and the shape expected for an undefined, non-2-D,
// non-float or empty a, a non-finite element, q < 1, niter < 0, or an omega that is not
// [min(m, n), q'] with q' >= 1.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "linalg/matrix.h"
#include "linalg/svd.h"

namespace retune::linalg {

Svd randomized_svd(const Tensor& a, int64_t q, int64_t niter, uint64_t seed);
Svd randomized_svd_with_sketch(const Tensor& a, const Tensor& omega, int64_t niter);

// The same in double.
SvdF64 randomized_svd(const Matrix& a, int64_t q, int64_t niter, uint64_t seed);
SvdF64 randomized_svd_with_sketch(const Matrix& a, const Matrix& omega, int64_t niter);

}  // namespace retune::linalg
