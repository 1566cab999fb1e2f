// Matrix: a dense column-major matrix of doubles, the working form of src/linalg/.
//
// Every linalg entry point that takes a Tensor reads it into a Matrix (any float dtype and
// strides, widened to double), computes in double with LAPACK / BLAS, and hands back contiguous
// f32 tensors. Callers that chain decompositions (CorDA's W·C_f, its inverse and SVD) can stay in
// double with the Matrix overloads, which every header declares next to the Tensor ones.
//
// Layout is LAPACK's: element (i, j) lives at values[i + j * rows]. A Matrix owns its values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor.h"

namespace retune::linalg {

struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> values;  // column-major, rows * cols

  Matrix() = default;
  Matrix(int64_t row_count, int64_t col_count);  // zero-filled

  double& operator()(int64_t i, int64_t j) { return values[static_cast<size_t>(i + j * rows)]; }
  double operator()(int64_t i, int64_t j) const {
    return values[static_cast<size_t>(i + j * rows)];
  }
  double* data() { return values.data(); }
  const double* data() const { return values.data(); }
  Matrix transposed() const;
  // The columns [begin, end) (contiguous in this layout).
  Matrix columns(int64_t begin, int64_t end) const;
  // The rows [begin, end).
  Matrix rows_range(int64_t begin, int64_t end) const;
};

// The elements of `a` as a Matrix. `a` must be a defined 2-D CPU tensor of a float dtype (f32,
// bf16, f16; any strides) with at least one row and one column and only finite values, and small
// enough for LAPACK's 32-bit indices (fewer than 2^31 elements). Otherwise throws an Error naming
// `function`, the argument `name` and the shape expected (`dims`, e.g. "[m, n]"):
//   "thin_svd: a is f32[2, 3, 4] on cpu, expected a 2-D float tensor [m, n]"
//   "thin_svd: a is f32[0, 4] on cpu, expected at least one row and one column ([m, n])"
//   "thin_svd: a[1, 2] is nan, expected finite values"
Matrix read_matrix(const Tensor& a, const char* function, const char* name, const char* dims);

// The checks of read_matrix for a Matrix passed to a double-precision overload: at least one row
// and one column, values.size() == rows * cols, finite values, within LAPACK's limits.
void check_matrix(const Matrix& a, const char* function, const char* name, const char* dims);

// A contiguous f32 CPU tensor [rows, cols] holding m's values rounded to f32.
Tensor to_tensor(const Matrix& m);
// A contiguous f32 CPU tensor [n] holding the values rounded to f32.
Tensor to_tensor(std::span<const double> values);

// op(a) @ op(b), op(x) = x or x^T per the flags (BLAS dgemm). The inner sizes must agree.
Matrix multiply(const Matrix& a, const Matrix& b, bool trans_a = false, bool trans_b = false);

}  // namespace retune::linalg
