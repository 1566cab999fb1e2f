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

OpSpec scale_columns_spec(int64_t N, int64_t O, bool subtract, bool accumulate) {
  OpSpec spec;
  spec.op = "dora_scale_columns";
  spec.variant = fmt::format("N={} O={}{}{}", N, O, subtract ? " subtract" : "",
                             accumulate ? " accumulate" : "");
  spec.inputs = {{"x", {N, O}, ArgKind::real, -1, 1, false},
                 {"scale", {O}, ArgKind::real, 0.5, 2, false},
                 {"out", {N, O}, ArgKind::real, -1, 1, false}};
  if (subtract) spec.inputs.push_back({"subtract", {N, O}, ArgKind::real, -1, 1, false});
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = in.at("out");
    reference::dora_scale_columns<double>(in.at("x").values.data(), in.at("scale").values.data(),
                                          subtract ? in.at("subtract").values.data() : nullptr,
                                          out.values.data(), N, O, accumulate);
    return HostArrays{{"out", out}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor out = in.at("out").clone();
    dora_scale_columns(in.at("x"), in.at("scale"), subtract ? in.at("subtract") : Tensor(), out,
                       accumulate);
    return Tensors{{"out", out}};
  };
  // One f32 product and up to two f32 sums of O(1) values.
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

OpSpec magnitude_grad_spec(int64_t N, int64_t O) {
  OpSpec spec;
  spec.op = "dora_magnitude_grad";
  spec.variant = fmt::format("N={} O={}", N, O);
  spec.inputs = {{"dz", {N, O}, ArgKind::real, -1, 1, false},
                 {"term", {N, O}, ArgKind::real, -1, 1, false},
                 {"norm", {O}, ArgKind::real, 0.5, 2, false},
                 {"magnitude_grad", {O}, ArgKind::real, -1, 1, false}};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray grad = in.at("magnitude_grad");
    reference::dora_magnitude_grad<double>(in.at("dz").values.data(), in.at("term").values.data(),
                                           in.at("norm").values.data(), N, O, grad.values.data());
    return HostArrays{{"magnitude_grad", grad}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor grad = in.at("magnitude_grad").clone();
    dora_magnitude_grad(in.at("dz"), in.at("term"), in.at("norm"), grad);
    return Tensors{{"magnitude_grad", grad}};
  };
  // Sums of N products of O(1) values, ~sqrt(N) in size: the CPU sums in double, the GPU in f32
  // chunks (~N ulps of the sum at most, far less in practice).
  spec.forward_tolerance = {1e-5, 1e-5};
  return spec;
}

}  // namespace

std::vector<OpSpec> dora_specs() {
  return {norm_scale_spec(5, 7, DType::f32, false),
          norm_scale_spec(6, 300, DType::bf16, false),
          norm_scale_spec(4, 9, DType::f16, false),
          norm_scale_spec(7, 5, DType::f32, true),  // GPT-2's Conv1D view
          scale_columns_spec(4, 7, false, false),
          scale_columns_spec(3, 5, true, true),
          scale_columns_spec(300, 129, true, false),
          magnitude_grad_spec(5, 7),
          magnitude_grad_spec(700, 130)};
}

}  // namespace retune::ops
