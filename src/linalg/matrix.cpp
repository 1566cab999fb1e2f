#include "linalg/matrix.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace retune::linalg {
namespace {

// LAPACK here uses 32-bit integers for sizes, leading dimensions and index arithmetic.
constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();

void check_finite(const Matrix& a, const char* function, const char* name) {
  for (int64_t j = 0; j < a.cols; ++j) {
    for (int64_t i = 0; i < a.rows; ++i) {
      RETUNE_CHECK(std::isfinite(a(i, j)), "{}: {}[{}, {}] is {}, expected finite values", function,
                   name, i, j, a(i, j));
    }
  }
}

}  // namespace

Matrix::Matrix(int64_t row_count, int64_t col_count) : rows(row_count), cols(col_count) {
  RETUNE_CHECK(rows >= 0 && cols >= 0, "Matrix: size {}x{}, expected sizes >= 0", rows, cols);
  values.assign(static_cast<size_t>(rows * cols), 0.0);
}

Matrix Matrix::transposed() const {
  Matrix t(cols, rows);
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < rows; ++i) t(j, i) = (*this)(i, j);
  }
  return t;
}

Matrix Matrix::columns(int64_t begin, int64_t end) const {
  RETUNE_CHECK(0 <= begin && begin <= end && end <= cols,
               "Matrix::columns: [{}, {}) is outside the {} columns", begin, end, cols);
  Matrix out(rows, end - begin);
  std::copy(values.begin() + begin * rows, values.begin() + end * rows, out.values.begin());
  return out;
}

Matrix Matrix::rows_range(int64_t begin, int64_t end) const {
  RETUNE_CHECK(0 <= begin && begin <= end && end <= rows,
               "Matrix::rows_range: [{}, {}) is outside the {} rows", begin, end, rows);
  Matrix out(end - begin, cols);
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = begin; i < end; ++i) out(i - begin, j) = (*this)(i, j);
  }
  return out;
}

Matrix read_matrix(const Tensor& a, const char* function, const char* name, const char* dims) {
  RETUNE_CHECK(a.defined(), "{}: {} is undefined, expected a 2-D float tensor {}", function, name,
               dims);
  RETUNE_CHECK(a.rank() == 2 && dtype_is_float(a.dtype()),
               "{}: {} is {}, expected a 2-D float tensor {}", function, name, a.describe(), dims);
  RETUNE_CHECK(a.device().is_cpu(), "{}: {} is {}, expected a tensor on cpu", function, name,
               a.describe());
  RETUNE_CHECK(a.size(0) >= 1 && a.size(1) >= 1,
               "{}: {} is {}, expected at least one row and one column ({})", function, name,
               a.describe(), dims);
  RETUNE_CHECK(a.numel() <= kMaxElements, "{}: {} is {}, expected fewer than 2^31 elements",
               function, name, a.describe());
  const std::vector<float> row_major = a.to_f32_vector();
  Matrix m(a.size(0), a.size(1));
  for (int64_t i = 0; i < m.rows; ++i) {
    for (int64_t j = 0; j < m.cols; ++j) m(i, j) = row_major[static_cast<size_t>(i * m.cols + j)];
  }
  check_finite(m, function, name);
  return m;
}

void check_matrix(const Matrix& a, const char* function, const char* name, const char* dims) {
  RETUNE_CHECK(a.rows >= 1 && a.cols >= 1,
               "{}: {} is a {}x{} matrix, expected at least one row and one column ({})", function,
               name, a.rows, a.cols, dims);
  RETUNE_CHECK(a.rows * a.cols <= kMaxElements,
               "{}: {} is a {}x{} matrix, expected fewer than 2^31 elements", function, name,
               a.rows, a.cols);
  RETUNE_CHECK(a.values.size() == static_cast<size_t>(a.rows * a.cols),
               "{}: {} holds {} values, expected {}x{} = {}", function, name, a.values.size(),
               a.rows, a.cols, a.rows * a.cols);
  check_finite(a, function, name);
}

Tensor to_tensor(const Matrix& m) {
  std::vector<float> row_major(static_cast<size_t>(m.rows * m.cols));
  for (int64_t i = 0; i < m.rows; ++i) {
    for (int64_t j = 0; j < m.cols; ++j) {
      row_major[static_cast<size_t>(i * m.cols + j)] = static_cast<float>(m(i, j));
    }
  }
  return Tensor::from_vector<float>({m.rows, m.cols}, DType::f32, row_major);
}

Tensor to_tensor(std::span<const double> values) {
  std::vector<float> f32(values.begin(), values.end());
  return Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, DType::f32, f32);
}

Matrix multiply(const Matrix& a, const Matrix& b, bool trans_a, bool trans_b) {
  const int64_t m = trans_a ? a.cols : a.rows;
  const int64_t k = trans_a ? a.rows : a.cols;
  const int64_t kb = trans_b ? b.cols : b.rows;
  const int64_t n = trans_b ? b.rows : b.cols;
  RETUNE_CHECK(k == kb, "linalg::multiply: op(a) is {}x{} and op(b) is {}x{}, inner sizes differ",
               m, k, kb, n);
  Matrix c(m, n);
  if (m == 0 || n == 0 || k == 0) return c;  // k == 0: an empty sum
  cblas_dgemm(
      CblasColMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
      static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0, a.data(),
      static_cast<blasint>(std::max<int64_t>(a.rows, 1)), b.data(),
      static_cast<blasint>(std::max<int64_t>(b.rows, 1)), 0.0, c.data(), static_cast<blasint>(m));
  return c;
}

}  // namespace retune::linalg
