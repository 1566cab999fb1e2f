#include "linalg/svd.h"

#include <lapacke.h>

#include <algorithm>

#include "core/error.h"

namespace retune::linalg {

SvdF64 thin_svd(Matrix a) {
  check_matrix(a, "thin_svd", "a", "[m, n]");
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  SvdF64 out{Matrix(m, k), std::vector<double>(static_cast<size_t>(k)), Matrix(k, n)};
  const lapack_int info =
      LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', static_cast<lapack_int>(m), static_cast<lapack_int>(n),
                     a.data(), static_cast<lapack_int>(m), out.s.data(), out.u.data(),
                     static_cast<lapack_int>(m), out.vt.data(), static_cast<lapack_int>(k));
  RETUNE_CHECK(info >= 0, "thin_svd: LAPACKE_dgesdd rejected argument {} of the {}x{} matrix",
               -info, m, n);
  RETUNE_CHECK(info == 0,
               "thin_svd: LAPACK's dgesdd did not converge on the {}x{} matrix (info {}); the "
               "input is ill-conditioned or has many repeated singular values",
               m, n, info);
  return out;
}

Svd thin_svd(const Tensor& a) {
  return to_tensors(thin_svd(read_matrix(a, "thin_svd", "a", "[m, n]")));
}

Svd to_tensors(const SvdF64& svd) {
  return {to_tensor(svd.u), to_tensor(svd.s), to_tensor(svd.vt)};
}

}  // namespace retune::linalg
