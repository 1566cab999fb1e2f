// Reduced QR decomposition: a = q r, like torch.linalg.qr(a, mode="reduced").
//
// a: [m, n], any float dtype and strides (read as double)
// q: [m, k]  orthonormal columns              k = min(m, n)
// r: [k, n]  upper triangular (upper trapezoidal when m < n)
// Computed in double by LAPACK's Householder QR, dgeqrf then dorgqr, on the column-major a: the
// routines and layout torch uses, so the signs follow LAPACK's Householder convention exactly as
// torch's do (r's diagonal is not normalised to be positive; a column of a that is already zero
// below the diagonal gets no reflection). Outputs are owned contiguous f32 tensors.
//
// Throws retune::Error naming reduced_qr and the shape expected ([m, n]) for an undefined,
// non-2-D, non-float or empty input, or a non-finite element.
#pragma once

#include "core/tensor.h"
#include "linalg/matrix.h"

namespace retune::linalg {

struct Qr {
  Tensor q;  // [m, k]
  Tensor r;  // [k, n]
};

Qr reduced_qr(const Tensor& a);

// The same decomposition in double.
struct QrF64 {
  Matrix q;  // m x k
  Matrix r;  // k x n
};

QrF64 reduced_qr(Matrix a);  // a is overwritten by LAPACK, hence by value

}  // namespace retune::linalg
