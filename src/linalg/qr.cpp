#include "linalg/qr.h"

#include <lapacke.h>

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace retune::linalg {

QrF64 reduced_qr(Matrix a) {
  check_matrix(a, "reduced_qr", "a", "[m, n]");
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  std::vector<double> tau(static_cast<size_t>(k));
  lapack_int info =
      LAPACKE_dgeqrf(LAPACK_COL_MAJOR, static_cast<lapack_int>(m), static_cast<lapack_int>(n),
                     a.data(), static_cast<lapack_int>(m), tau.data());
  RETUNE_CHECK(info == 0, "reduced_qr: LAPACKE_dgeqrf failed on the {}x{} matrix (info {})", m, n,
               info);
  QrF64 out{Matrix(), Matrix(k, n)};
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i <= std::min(j, k - 1); ++i) out.r(i, j) = a(i, j);
  }
  // The reflectors sit in the first k columns; dorgqr turns them into q in place.
  a.values.resize(static_cast<size_t>(m * k));
  a.cols = k;
  info =
      LAPACKE_dorgqr(LAPACK_COL_MAJOR, static_cast<lapack_int>(m), static_cast<lapack_int>(k),
                     static_cast<lapack_int>(k), a.data(), static_cast<lapack_int>(m), tau.data());
  RETUNE_CHECK(info == 0, "reduced_qr: LAPACKE_dorgqr failed on the {}x{} matrix (info {})", m, n,
               info);
  out.q = std::move(a);
  return out;
}

Qr reduced_qr(const Tensor& a) {
  const QrF64 qr = reduced_qr(read_matrix(a, "reduced_qr", "a", "[m, n]"));
  return {to_tensor(qr.q), to_tensor(qr.r)};
}

}  // namespace retune::linalg
