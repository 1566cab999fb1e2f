#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/dora.h"
#include "ops/reference/dora.h"

namespace retune::ops {

namespace {

// The norms of weight + delta per row and m / norm. The weight is f32 or 16-bit (a frozen
// model's), and may be read through a transposed view (GPT-2's Conv1D layout): the spec's
// "weight" input [O, I] is then stored as [I, O] and transposed back.
OpSpec norm_scale_spec(int64_t O, int64_t I, DType dtype, bool transposed) {
  OpSpec spec;
  spec.op = "dora_norm_scale";
  spec.variant = fmt::format("O={} I={} weight {}{}", O, I, dtype_name(dtype),
                             transposed ? " transposed view" : "");
  spec.inputs = {{"weight", {O, I}, ArgKind::real, -1, 1, false},
                 {"delta", {O, I}, ArgKind::real, -0.5, 0.5, false},
                 {"magnitude", {O}, ArgKind::real, 0.5, 2, false}};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray norm = host_zeros({O});
    HostArray scale = host_zeros({O});
    reference::dora_norm_scale<double>(
        stored_values(in.at("weight"), dtype).data(), in.at("delta").values.data(),
        in.at("magnitude").values.data(), O, I, norm.values.data(), scale.values.data());
    return HostArrays{{"norm", norm}, {"scale", scale}};
  };
  spec.forward = [=](const Tensors& in) {
    const Device device = in.at("delta").device();
    // The transposed layout is made on the host (a GPU does not copy into a transposed view).
    Tensor weight = in.at("weight").to(Device::cpu()).to(dtype);
    weight = transposed ? weight.transpose(0, 1).contiguous().to(device).transpose(0, 1)
                        : weight.to(device);
    Tensor norm = Tensor::empty({O}, DType::f32, device);
    Tensor scale = Tensor::empty({O}, DType::f32, device);
    dora_norm_scale(weight, in.at("delta"), in.at("magnitude"), norm, scale);
    return Tensors{{"norm", norm}, {"scale", scale}};
  };
  // Squares summed in double; the norm and the scale rounded to f32 once each.
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> dora_specs() {
  return {norm_scale_spec(5, 7, DType::f32, false), norm_scale_spec(6, 300, DType::bf16, false),
          norm_scale_spec(4, 9, DType::f16, false),
          norm_scale_spec(7, 5, DType::f32, true)};  // GPT-2's Conv1D view
}

}  // namespace retune::ops
