#include "linalg/inverse.h"

#include <lapacke.h>

#include <vector>

#include "core/error.h"

namespace retune::linalg {

Matrix inverse(Matrix a) {
  check_matrix(a, "inverse", "a", "[n, n]");
  RETUNE_CHECK(a.rows == a.cols, "inverse: a is a {}x{} matrix, expected a square matrix [n, n]",
               a.rows, a.cols);
  const auto n = static_cast<lapack_int>(a.rows);
  std::vector<lapack_int> pivots(static_cast<size_t>(n));
  lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, a.data(), n, pivots.data());
  RETUNE_CHECK(info >= 0, "inverse: LAPACKE_dgetrf rejected argument {}", -info);
  RETUNE_CHECK(info == 0,
               "inverse: the {}x{} matrix is singular (pivot {} of its LU factorisation is "
               "exactly zero)",
               n, n, info);
  info = LAPACKE_dgetri(LAPACK_COL_MAJOR, n, a.data(), n, pivots.data());
  RETUNE_CHECK(info == 0, "inverse: LAPACKE_dgetri failed on the {}x{} matrix (info {})", n, n,
               info);
  return a;
}

Tensor inverse(const Tensor& a) {
  Matrix m = read_matrix(a, "inverse", "a", "[n, n]");
  RETUNE_CHECK(m.rows == m.cols, "inverse: a is {}, expected a square matrix [n, n]", a.describe());
  return to_tensor(inverse(std::move(m)));
}

}  // namespace retune::linalg
