// Thin singular value decomposition: a = u diag(s) vt, like torch.linalg.svd(a,
// full_matrices=False).
//
// a:  [m, n], any float dtype and strides (read as double)
// u:  [m, k]  orthonormal columns              k = min(m, n)
// s:  [k]     singular values, descending, >= 0
// vt: [k, n]  orthonormal rows
// Computed in double by LAPACK's divide-and-conquer dgesdd on the column-major a (the routine
// and layout torch uses on the CPU); the outputs are owned contiguous f32 tensors. Singular
// vectors are unique only up to sign (and rotation within repeated singular values): the signs
// are LAPACK's, which may differ between LAPACK builds (torch's MKL vs OpenBLAS).
//
// Throws retune::Error naming thin_svd and the shape expected ([m, n]) for an undefined, non-2-D,
// non-float or empty input, for a non-finite element, and when dgesdd does not converge.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "linalg/matrix.h"

namespace retune::linalg {

struct Svd {
  Tensor u;   // [m, k]
  Tensor s;   // [k], descending
  Tensor vt;  // [k, n]
};

Svd thin_svd(const Tensor& a);

// The same decomposition in double, for callers that chain decompositions.
struct SvdF64 {
  Matrix u;               // m x k
  std::vector<double> s;  // k, descending
  Matrix vt;              // k x n
};

SvdF64 thin_svd(Matrix a);  // a is overwritten by LAPACK, hence by value

// The f32 tensors of a double decomposition.
Svd to_tensors(const SvdF64& svd);

}  // namespace retune::linalg
