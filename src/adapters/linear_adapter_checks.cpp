#include "adapters/linear_adapter_checks.h"

#include <fmt/format.h>

#include "core/error.h"
#include "ops/arg_checks.h"

namespace retune::adapters {

void check_frozen_weight(const char* op, const Tensor& weight) {
  RETUNE_CHECK(weight.defined(), "{}: the weight is undefined, expected [O, I]", op);
  RETUNE_CHECK(weight.rank() == 2 && dtype_is_float(weight.dtype()) && weight.device().is_cpu(),
               "{}: the weight is {}, expected a float [O, I] on cpu", op, weight.describe());
  RETUNE_CHECK(weight.stride(0) == 1 || weight.stride(1) == 1,
               "{}: the weight {} has no unit stride in either dim", op, weight.describe());
}

void check_activations(const char* op, const Tensor& x, const Tensor& z, int64_t in, int64_t out,
                       Device device) {
  ops::check_matrix(op, "x", x, fmt::format("[N, {}]", in).c_str());
  ops::check_tensor(op, "x", x, DType::f32, {x.size(0), in}, device);
  ops::check_output(op, "z", z, DType::f32, {x.size(0), out}, device);
  ops::check_disjoint(op, "z", z, "x", x);
}

void check_gradients(const char* op, const Tensor& x, const Tensor& dz, const Tensor& dx,
                     int64_t rows, int64_t in, int64_t out, Device device) {
  ops::check_tensor(op, "x", x, DType::f32, {rows, in}, device);
  ops::check_tensor(op, "dz", dz, DType::f32, {rows, out}, device);
  if (dx.defined()) {
    ops::check_output(op, "dx", dx, DType::f32, {rows, in}, device);
    ops::check_disjoint(op, "dx", dx, "dz", dz);
  }
}

}  // namespace retune::adapters
