#include "linalg/randomized_svd.h"

#include <algorithm>

#include "core/error.h"
#include "core/random_tensor.h"
#include "linalg/qr.h"

namespace retune::linalg {
namespace {

constexpr const char* kSketchDims = "[min(m, n), q]";

void check_niter(const char* function, int64_t niter) {
  RETUNE_CHECK(niter >= 0, "{}: niter is {}, expected >= 0", function, niter);
}

SvdF64 sketch_svd(const Matrix& a, const Matrix& omega, int64_t niter) {
  // a' is the tall orientation: a itself, or a^T (without forming it: the products below pass
  // the transpose flags instead).
  const bool tall = a.rows >= a.cols;
  const auto a_times = [&](const Matrix& x) { return multiply(a, x, !tall, false); };  // a' x
  const auto at_times = [&](const Matrix& x) { return multiply(a, x, tall, false); };  // a'^T x
  Matrix q = reduced_qr(a_times(omega)).q;
  for (int64_t i = 0; i < niter; ++i) {
    q = reduced_qr(at_times(q)).q;
    q = reduced_qr(a_times(q)).q;
  }
  // B = Q^T a' = (a'^T Q)^T.
  SvdF64 small = thin_svd(at_times(q).transposed());
  Matrix u = multiply(q, small.u);
  if (tall) return {std::move(u), std::move(small.s), std::move(small.vt)};
  return {small.vt.transposed(), std::move(small.s), u.transposed()};
}

}  // namespace

SvdF64 randomized_svd_with_sketch(const Matrix& a, const Matrix& omega, int64_t niter) {
  const char* function = "randomized_svd_with_sketch";
  check_matrix(a, function, "a", "[m, n]");
  check_matrix(omega, function, "omega", kSketchDims);
  RETUNE_CHECK(omega.rows == std::min(a.rows, a.cols),
               "{}: omega is {}x{} for a {}x{} matrix, expected {} ({} rows)", function, omega.rows,
               omega.cols, a.rows, a.cols, kSketchDims, std::min(a.rows, a.cols));
  check_niter(function, niter);
  return sketch_svd(a, omega, niter);
}

SvdF64 randomized_svd(const Matrix& a, int64_t q, int64_t niter, uint64_t seed) {
  const char* function = "randomized_svd";
  check_matrix(a, function, "a", "[m, n]");
  RETUNE_CHECK(q >= 1, "{}: q is {}, expected >= 1", function, q);
  check_niter(function, niter);
  const Tensor omega = normal_tensor({std::min(a.rows, a.cols), q}, seed, 0.0, 1.0);
  return sketch_svd(a, read_matrix(omega, function, "omega", kSketchDims), niter);
}

Svd randomized_svd(const Tensor& a, int64_t q, int64_t niter, uint64_t seed) {
  return to_tensors(
      randomized_svd(read_matrix(a, "randomized_svd", "a", "[m, n]"), q, niter, seed));
}

Svd randomized_svd_with_sketch(const Tensor& a, const Tensor& omega, int64_t niter) {
  const char* function = "randomized_svd_with_sketch";
  const Matrix a_matrix = read_matrix(a, function, "a", "[m, n]");  // a is checked first
  const Matrix omega_matrix = read_matrix(omega, function, "omega", kSketchDims);
  return to_tensors(randomized_svd_with_sketch(a_matrix, omega_matrix, niter));
}

}  // namespace retune::linalg
