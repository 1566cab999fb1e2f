// Matrix inverse, like torch.linalg.inv.
//
// a:      [n, n], any float dtype and strides (read as double)
// result: [n, n]  a^-1, an owned contiguous f32 tensor
// Computed in double by LAPACK's LU factorisation with partial pivoting (dgetrf, dgetri). Like
// torch, only an exactly singular matrix (a zero pivot) is refused: an ill-conditioned one is
// inverted, and a caller that cares checks the residual (CorDA's damping loop checks
// ||C C^-1 - I||).
//
// Throws retune::Error naming inverse and the shape expected ([n, n]) for an undefined, non-2-D,
// non-float, empty or non-square input or a non-finite element, and, naming the matrix size, for
// a singular matrix:
//   "inverse: the 3x3 matrix is singular (pivot 3 of its LU factorisation is exactly zero)"
#pragma once

#include "core/tensor.h"
#include "linalg/matrix.h"

namespace retune::linalg {

Tensor inverse(const Tensor& a);

// The same in double.
Matrix inverse(Matrix a);  // a is overwritten by LAPACK, hence by value

}  // namespace retune::linalg
