#include "adapters/linear_adapter_checks.h"

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

void check_moved_weights(const char* op, const Tensor& weight, const Tensor& bias,
                         const Tensor& current_weight, const Tensor& current_bias, Device device) {
  RETUNE_CHECK(weight.defined() && weight.shape() == current_weight.shape() &&
                   weight.dtype() == current_weight.dtype() &&
                   weight.stride(0) == current_weight.stride(0) &&
                   weight.stride(1) == current_weight.stride(1) && weight.device() == device,
               "{}: the weight is {}, expected {}{} on {} with strides ({}, {})", op,
               weight.defined() ? weight.describe() : "undefined",
               dtype_name(current_weight.dtype()), current_weight.shape().str(),
               device_name(device), current_weight.stride(0), current_weight.stride(1));
  RETUNE_CHECK(bias.defined() == current_bias.defined(), "{}: the bias is {}, expected {}", op,
               bias.defined() ? bias.describe() : "undefined",
               current_bias.defined() ? "one" : "none");
  if (bias.defined()) {
    ops::check_tensor(op, "bias", bias, DType::f32, current_bias.shape(), device);
  }
}

namespace {

// The dtype `t` is checked against: f32, or bf16 too when allowed.
DType allowed_dtype(const Tensor& t, bool bf16_too) {
  return bf16_too ? ops::f32_or_bf16(t) : DType::f32;
}

}  // namespace

void check_activations(const char* op, const Tensor& x, const Tensor& z, int64_t in, int64_t out,
                       Device device, bool bf16_too) {
  const DType x_dtype = allowed_dtype(x, bf16_too);
  RETUNE_CHECK(x.defined() && x.rank() == 2, "{}: x is {}, expected a contiguous {}[N, {}]", op,
               x.defined() ? x.describe() : "undefined", dtype_name(x_dtype), in);
  ops::check_tensor(op, "x", x, x_dtype, {x.size(0), in}, device);
  ops::check_output(op, "z", z, allowed_dtype(z, bf16_too), {x.size(0), out}, device);
  ops::check_disjoint(op, "z", z, "x", x);
}

void check_gradients(const char* op, const Tensor& x, const Tensor& dz, const Tensor& dx,
                     int64_t rows, int64_t in, int64_t out, Device device, bool bf16_too) {
  ops::check_tensor(op, "x", x, allowed_dtype(x, bf16_too), {rows, in}, device);
  ops::check_tensor(op, "dz", dz, allowed_dtype(dz, bf16_too), {rows, out}, device);
  if (dx.defined()) {
    ops::check_output(op, "dx", dx, allowed_dtype(dx, bf16_too), {rows, in}, device);
    ops::check_disjoint(op, "dx", dx, "dz", dz);
  }
}

}  // namespace retune::adapters
