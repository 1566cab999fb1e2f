#include "ops/dora.h"

#include "ops/arg_checks.h"
#include "ops/cpu/dora.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/dora.h"
#endif

namespace retune::ops {

void dora_norm_scale(const Tensor& weight, const Tensor& delta, const Tensor& magnitude,
                     const Tensor& norm, const Tensor& scale) {
  const char* op = "dora_norm_scale";
  const profile::Stage stage = op_stage(op, weight);
  RETUNE_CHECK(weight.defined() && dtype_is_float(weight.dtype()) && weight.rank() == 2 &&
                   (weight.stride(1) == 1 || weight.stride(0) == 1),
               "{}: weight is {}, expected a float [O, I] with unit stride along one dim", op,
               weight.defined() ? weight.describe() : "undefined");
  const Device device = weight.device();
  const int64_t O = weight.size(0);
  const int64_t I = weight.size(1);
  check_tensor(op, "delta", delta, DType::f32, {O, I}, device);
  check_tensor(op, "magnitude", magnitude, DType::f32, {O}, device);
  check_output(op, "norm", norm, DType::f32, {O}, device);
  check_output(op, "scale", scale, DType::f32, {O}, device);
  check_disjoint(op, "norm", norm, "scale", scale);
  for (const auto& [name, output] : {std::pair{"norm", &norm}, std::pair{"scale", &scale}}) {
    check_disjoint(op, name, *output, "weight", weight);
    check_disjoint(op, name, *output, "delta", delta);
    check_disjoint(op, name, *output, "magnitude", magnitude);
  }
  check_backend(op, device);
  const void* weight_data = weight.dtype() == DType::f32
                                ? static_cast<const void*>(weight.device_data<float>())
                                : weight.device_data<uint16_t>();
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::dora_norm_scale(weight_data, weight.dtype(), weight.stride(0), weight.stride(1),
                          delta.device_data<float>(), magnitude.device_data<float>(), O, I,
                          norm.mutable_device_data<float>(), scale.mutable_device_data<float>());
    return;
  }
#endif
  cpu::dora_norm_scale(weight_data, weight.dtype(), weight.stride(0), weight.stride(1),
                       delta.data<float>(), magnitude.data<float>(), O, I,
                       norm.mutable_data<float>(), scale.mutable_data<float>());
}

void dora_scale_columns(const Tensor& x, const Tensor& scale, const Tensor& subtract,
                        const Tensor& out, bool accumulate) {
  const char* op = "dora_scale_columns";
  const profile::Stage stage = op_stage(op, x);
  check_matrix(op, "x", x, "[N, O]");
  const Device device = x.device();
  const int64_t N = x.size(0);
  const int64_t O = x.size(1);
  check_tensor(op, "scale", scale, DType::f32, {O}, device);
  if (subtract.defined()) check_tensor(op, "subtract", subtract, DType::f32, {N, O}, device);
  check_output(op, "out", out, DType::f32, {N, O}, device);
  check_disjoint(op, "out", out, "x", x);
  check_disjoint(op, "out", out, "scale", scale);
  if (subtract.defined()) check_disjoint(op, "out", out, "subtract", subtract);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::dora_scale_columns(x.device_data<float>(), scale.device_data<float>(),
                             subtract.defined() ? subtract.device_data<float>() : nullptr,
                             out.mutable_device_data<float>(), N, O, accumulate);
    return;
  }
#endif
  cpu::dora_scale_columns(x.data<float>(), scale.data<float>(),
                          subtract.defined() ? subtract.data<float>() : nullptr,
                          out.mutable_data<float>(), N, O, accumulate);
}

void dora_magnitude_grad(const Tensor& dz, const Tensor& term, const Tensor& norm,
                         const Tensor& magnitude_grad) {
  const char* op = "dora_magnitude_grad";
  const profile::Stage stage = op_stage(op, dz);
  check_matrix(op, "dz", dz, "[N, O]");
  const Device device = dz.device();
  const int64_t N = dz.size(0);
  const int64_t O = dz.size(1);
  check_tensor(op, "term", term, DType::f32, {N, O}, device);
  check_tensor(op, "norm", norm, DType::f32, {O}, device);
  check_output(op, "magnitude_grad", magnitude_grad, DType::f32, {O}, device);
  check_disjoint(op, "magnitude_grad", magnitude_grad, "dz", dz);
  check_disjoint(op, "magnitude_grad", magnitude_grad, "term", term);
  check_disjoint(op, "magnitude_grad", magnitude_grad, "norm", norm);
  check_backend(op, device);
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    cuda::dora_magnitude_grad(dz.device_data<float>(), term.device_data<float>(),
                              norm.device_data<float>(), N, O,
                              magnitude_grad.mutable_device_data<float>());
    return;
  }
#endif
  cpu::dora_magnitude_grad(dz.data<float>(), term.data<float>(), norm.data<float>(), N, O,
                           magnitude_grad.mutable_data<float>());
}

}  // namespace retune::ops
