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

}  // namespace retune::ops
