// Every Tensor entry point refuses an input that is not a non-empty, finite 2-D float matrix,
// with a message naming the function and the shape it expected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/random_tensor.h"
#include "linalg/covariance.h"
#include "linalg/incremental_pca.h"
#include "linalg/inverse.h"
#include "linalg/qr.h"
#include "linalg/randomized_svd.h"
#include "linalg/svd.h"
#include "support/error_of.h"

namespace retune::linalg {
namespace {

using ::testing::HasSubstr;

struct EntryPoint {
  std::string prefix;  // "function: argument"
  std::string dims;
  std::function<void(const Tensor&)> call;
};

std::vector<EntryPoint> entry_points() {
  return {
      {"thin_svd: a", "[m, n]", [](const Tensor& t) { thin_svd(t); }},
      {"randomized_svd: a", "[m, n]", [](const Tensor& t) { randomized_svd(t, 1, 1, 0); }},
      {"randomized_svd_with_sketch: a", "[m, n]",
       [](const Tensor& t) {
         randomized_svd_with_sketch(t, uniform_tensor({1, 1}, 0), 1);
       }},
      {"reduced_qr: a", "[m, n]", [](const Tensor& t) { reduced_qr(t); }},
      {"inverse: a", "[n, n]", [](const Tensor& t) { inverse(t); }},
      {"Covariance::add: x", "[N, features]", [](const Tensor& t) { Covariance(4).add(t); }},
      {"Covariance::add_scaled_by_max: x", "[N, features]",
       [](const Tensor& t) { Covariance(4).add_scaled_by_max(t); }},
      {"IncrementalPca::partial_fit: x", "[N, features]",
       [](const Tensor& t) { IncrementalPca(1).partial_fit(t); }},
  };
}

TEST(LinalgBadInput, NotTwoDimensional) {
  for (const EntryPoint& entry : entry_points()) {
    SCOPED_TRACE(entry.prefix);
    EXPECT_EQ(error_of([&] {
                entry.call(Tensor::zeros({2, 3, 4}, DType::f32));
              }),
              entry.prefix + " is f32[2, 3, 4] on cpu, expected a 2-D float tensor " + entry.dims);
    EXPECT_EQ(error_of([&] { entry.call(Tensor::zeros({4}, DType::f32)); }),
              entry.prefix + " is f32[4] on cpu, expected a 2-D float tensor " + entry.dims);
    EXPECT_EQ(error_of([&] { entry.call(Tensor()); }),
              entry.prefix + " is undefined, expected a 2-D float tensor " + entry.dims);
  }
}

TEST(LinalgBadInput, ZeroSize) {
  for (const EntryPoint& entry : entry_points()) {
    SCOPED_TRACE(entry.prefix);
    for (const Shape& shape : {Shape{0, 4}, Shape{4, 0}, Shape{0, 0}}) {
      const Tensor empty = Tensor::zeros(shape, DType::f32);
      EXPECT_EQ(error_of([&] { entry.call(empty); }),
                entry.prefix + " is " + empty.describe() +
                    ", expected at least one row and one column (" + entry.dims + ")");
    }
  }
}

TEST(LinalgBadInput, IntegerDtype) {
  for (const EntryPoint& entry : entry_points()) {
    SCOPED_TRACE(entry.prefix);
    EXPECT_EQ(error_of([&] {
                entry.call(Tensor::zeros({4, 4}, DType::i32));
              }),
              entry.prefix + " is i32[4, 4] on cpu, expected a 2-D float tensor " + entry.dims);
  }
}

TEST(LinalgBadInput, NonFiniteElement) {
  std::vector<float> values(16, 1.0f);
  values[6] = std::nanf("");
  const Tensor with_nan = Tensor::from_vector<float>({4, 4}, DType::f32, values);
  values[6] = INFINITY;
  const Tensor with_inf = Tensor::from_vector<float>({4, 4}, DType::f32, values);
  for (const EntryPoint& entry : entry_points()) {
    SCOPED_TRACE(entry.prefix);
    EXPECT_EQ(error_of([&] { entry.call(with_nan); }),
              entry.prefix + "[1, 2] is nan, expected finite values");
    EXPECT_EQ(error_of([&] { entry.call(with_inf); }),
              entry.prefix + "[1, 2] is inf, expected finite values");
  }
}

TEST(LinalgBadInput, DoubleOverloadsCheckTheirMatrices) {
  EXPECT_EQ(error_of([] { thin_svd(Matrix()); }),
            "thin_svd: a is a 0x0 matrix, expected at least one row and one column ([m, n])");
  Matrix inconsistent(2, 2);
  inconsistent.values.pop_back();
  EXPECT_EQ(error_of([&] { reduced_qr(inconsistent); }),
            "reduced_qr: a holds 3 values, expected 2x2 = 4");
  Matrix nan(2, 2);
  nan(1, 0) = std::nan("");
  EXPECT_THAT(error_of([&] { inverse(nan); }), HasSubstr("inverse: a[1, 0] is nan"));
}

}  // namespace
}  // namespace retune::linalg
