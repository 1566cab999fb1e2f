#include "ops/column_scale.h"

#include "ops/arg_checks.h"
#include "ops/cpu/column_scale.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/column_scale.h"
#endif

namespace retune::ops {

void scale_columns(const Tensor& x, const Tensor& scale, const Tensor& shift,
                   const Tensor& subtract, const Tensor& out, bool accumulate) {
  const char* op = "scale_columns";
  const profile::Stage stage = op_stage(op, x);
  check_matrix(op, "x", x, "[N, C]");
  const Device device = x.device();
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  check_tensor(op, "scale", scale, DType::f32, {C}, device);
  if (shift.defined()) check_tensor(op, "shift", shift, DType::f32, {C}, device);
  if (subtract.defined()) check_tensor(op, "subtract", subtract, DType::f32, {N, C}, device);
  check_output(op, "out", out, DType::f32, {N, C}, device);
  check_disjoint(op, "out", out, "x", x);
  check_disjoint(op, "out", out, "scale", scale);
  if (shift.defined()) check_disjoint(op, "out", out, "shift", shift);
  if (subtract.defined()) check_disjoint(op, "out", out, "subtract", subtract);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::scale_columns(x.device_data<float>(), scale.device_data<float>(),
                        optional_device_input(shift), optional_device_input(subtract),
                        out.mutable_device_data<float>(), N, C, accumulate);
    return;
  }
#endif
  cpu::scale_columns(x.data<float>(), scale.data<float>(), optional_input(shift),
                     optional_input(subtract), out.mutable_data<float>(), N, C, accumulate);
}

void add_column_products(const Tensor& a, const Tensor& b, const Tensor& divisor,
                         const Tensor& grad) {
  const char* op = "add_column_products";
  const profile::Stage stage = op_stage(op, a);
  check_matrix(op, "a", a, "[N, C]");
  const Device device = a.device();
  const int64_t N = a.size(0);
  const int64_t C = a.size(1);
  check_tensor(op, "b", b, DType::f32, {N, C}, device);
  if (divisor.defined()) check_tensor(op, "divisor", divisor, DType::f32, {C}, device);
  check_output(op, "grad", grad, DType::f32, {C}, device);
  check_disjoint(op, "grad", grad, "a", a);
  check_disjoint(op, "grad", grad, "b", b);
  if (divisor.defined()) check_disjoint(op, "grad", grad, "divisor", divisor);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::add_column_products(a.device_data<float>(), b.device_data<float>(),
                              optional_device_input(divisor), N, C,
                              grad.mutable_device_data<float>());
    return;
  }
#endif
  cpu::add_column_products(a.data<float>(), b.data<float>(), optional_input(divisor), N, C,
                           grad.mutable_data<float>());
}

void scale_linear_output(const Tensor& z, const Tensor& bias, const Tensor& scale,
                         const Tensor& shift, const Tensor& kept) {
  const char* op = "scale_linear_output";
  const profile::Stage stage = op_stage(op, z);
  check_matrix(op, "z", z, "[N, C]");
  RETUNE_CHECK(z.writable(), "{}: z is read-only", op);
  const Device device = z.device();
  const int64_t N = z.size(0);
  const int64_t C = z.size(1);
  if (bias.defined()) check_tensor(op, "bias", bias, DType::f32, {C}, device);
  check_tensor(op, "scale", scale, DType::f32, {C}, device);
  if (shift.defined()) check_tensor(op, "shift", shift, DType::f32, {C}, device);
  if (kept.defined()) check_output(op, "kept", kept, DType::f32, {N, C}, device);
  for (const auto& [name, input] :
       {std::pair{"bias", &bias}, std::pair{"scale", &scale}, std::pair{"shift", &shift}}) {
    if (!input->defined()) continue;
    check_disjoint(op, "z", z, name, *input);
    if (kept.defined()) check_disjoint(op, "kept", kept, name, *input);
  }
  if (kept.defined()) check_disjoint(op, "kept", kept, "z", z);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::scale_linear_output(z.mutable_device_data<float>(), optional_device_input(bias),
                              scale.device_data<float>(), optional_device_input(shift),
                              optional_device_data(kept), N, C);
    return;
  }
#endif
  cpu::scale_linear_output(z.mutable_data<float>(), optional_input(bias), scale.data<float>(),
                           optional_input(shift), optional_data(kept), N, C);
}

}  // namespace retune::ops
