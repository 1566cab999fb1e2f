#include <fmt/format.h>

#include "ops/add.h"
#include "ops/check/specs.h"
#include "ops/reference/add.h"

namespace retune::ops {

namespace {

// dtype: of out (in place: a), b_dtype: of b; bf16 for bf16 activations or gradients.
OpSpec add_spec(Shape shape, DType dtype = DType::f32, DType b_dtype = DType::f32) {
  OpSpec spec;
  spec.op = "add";
  spec.variant = fmt::format("{} {} + {}", shape.str(), dtype_name(dtype), dtype_name(b_dtype));
  spec.inputs = {{"a", shape}, {"b", shape}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(shape);
    const std::vector<double> a = stored_values(in.at("a"), dtype);
    const std::vector<double> b = stored_values(in.at("b"), b_dtype);
    reference::add_forward<double>(a.data(), b.data(), out.values.data(), shape.numel());
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [](const HostArrays&, const HostArrays&, const HostArrays& d) {
    return HostArrays{{"da", d.at("out")}, {"db", d.at("out")}};
  };
  // In place, as the residual stream uses it: out is a copy of a that b is added to.
  spec.forward = [=](const Tensors& in) {
    const Tensor out = in.at("a").to(dtype);
    add_forward(out, in.at("b").to(b_dtype), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [](const Tensors&, const Tensors&, const Tensors& d) {
    return Tensors{{"da", d.at("out")}, {"db", d.at("out")}};
  };
  // One f32 rounding of a sum of two values in [-1, 1].
  spec.forward_tolerance = {1e-7, 1e-7};
  spec.backward_tolerance = {1e-7, 1e-7};  // dout itself, rounded to f32 on the way in
  if (dtype == DType::bf16 || b_dtype == DType::bf16) {
    spec.forward_tolerance = {1e-7, 4e-3};  // the sum of the rounded inputs, rounded once
    spec.check_finite_differences = false;  // the reference rounds its inputs: steps
  }
  return spec;
}

OpSpec bias_add_spec(int64_t N, int64_t O) {
  OpSpec spec;
  spec.op = "bias_add";
  spec.variant = fmt::format("N={} O={}", N, O);
  spec.inputs = {{"y", {N, O}}, {"bias", {O}}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = in.at("y");
    reference::bias_add_forward<double>(out.values.data(), in.at("bias").values.data(), N, O);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays&, const HostArrays&, const HostArrays& d) {
    HostArray dbias = host_zeros({O});
    reference::bias_add_backward<double>(d.at("out").values.data(), dbias.values.data(), N, O);
    return HostArrays{{"dy", d.at("out")}, {"dbias", dbias}};
  };
  spec.forward = [](const Tensors& in) {
    const Tensor out = in.at("y").clone();
    bias_add_forward(out, in.at("bias"));
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    const Tensor dbias = Tensor::zeros({O}, DType::f32, in.at("bias").device());
    bias_add_backward(d.at("out"), dbias);
    return Tensors{{"dy", d.at("out")}, {"dbias", dbias}};
  };
  // f32 sums of N values in [-1, 1].
  spec.forward_tolerance = {1e-7, 1e-7};
  spec.backward_tolerance = {1e-5, 1e-6};
  spec.check_finite_differences = N * O < 5000;
  return spec;
}

}  // namespace

std::vector<OpSpec> add_specs() {
  const DType f32 = DType::f32, bf16 = DType::bf16;
  return {add_spec({7}),
          add_spec({3, 5, 11}),
          add_spec({3, 5, 11}, bf16, bf16),
          add_spec({3, 5, 11}, bf16, f32),
          add_spec({3, 5, 11}, f32, bf16),
          bias_add_spec(1, 9),
          bias_add_spec(37, 13),
          bias_add_spec(300, 70)};  // the GPU's column sums in several chunks of rows
}

}  // namespace retune::ops
