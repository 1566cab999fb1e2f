#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/reference/swiglu.h"
#include "ops/swiglu.h"

namespace retune::ops {

namespace {

// `dtype`: of every tensor the op reads and writes (bf16: a model's MLP activations on a GPU).
OpSpec swiglu_spec(int64_t N, int64_t F, DType dtype = DType::f32) {
  const Shape shape{N, F};
  OpSpec spec;
  spec.op = "swiglu";
  spec.variant = fmt::format("N={} F={}{}", N, F, dtype == DType::f32 ? "" : " bf16");
  // The gate covers silu's bend and tails; up is an ordinary projection output.
  spec.inputs = {{"gate", shape, ArgKind::real, -6.0, 6.0},
                 {"up", shape, ArgKind::real, -2.0, 2.0}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(shape);
    const std::vector<double> gate = stored_values(in.at("gate"), dtype);
    const std::vector<double> up = stored_values(in.at("up"), dtype);
    reference::swiglu_forward<double>(gate.data(), up.data(), out.values.data(), N * F);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray dgate = host_zeros(shape);
    HostArray dup = host_zeros(shape);
    const std::vector<double> gate = stored_values(in.at("gate"), dtype);
    const std::vector<double> up = stored_values(in.at("up"), dtype);
    const std::vector<double> dout = stored_values(d.at("out"), dtype);
    reference::swiglu_backward<double>(gate.data(), up.data(), dout.data(), dgate.values.data(),
                                       dup.values.data(), N * F);
    return HostArrays{{"dgate", dgate}, {"dup", dup}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor out = Tensor::empty(shape, dtype, in.at("gate").device());
    swiglu_forward(in.at("gate").to(dtype), in.at("up").to(dtype), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    Tensor dgate = Tensor::empty(shape, dtype, in.at("gate").device());
    Tensor dup = Tensor::empty(shape, dtype, in.at("gate").device());
    swiglu_backward(in.at("gate").to(dtype), in.at("up").to(dtype), d.at("out").to(dtype), dgate,
                    dup);
    return Tensors{{"dgate", dgate}, {"dup", dup}};
  };
  // A few rounded f32 products and an exp: a few ulp of values up to ~12.
  spec.forward_tolerance = {2e-6, 2e-6};
  spec.backward_tolerance = {2e-6, 2e-6};
  // Smooth in both inputs: central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = N * F < 5000;
  if (dtype == DType::bf16) {
    // The reference reads the same rounded inputs; each output is rounded once more (2^-8
    // relative at most). Rounded inputs make the reference a step function: its f32 twin checks its
    // gradient.
    spec.forward_tolerance = {2e-6, 4e-3};
    spec.backward_tolerance = {2e-6, 4e-3};
    spec.check_finite_differences = false;
  }
  return spec;
}

}  // namespace

std::vector<OpSpec> swiglu_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(swiglu_spec(3, 7));
  specs.push_back(swiglu_spec(1, 1));     // one element
  specs.push_back(swiglu_spec(13, 1));    // one column
  specs.push_back(swiglu_spec(1, 17));    // one row
  specs.push_back(swiglu_spec(67, 577));  // large
  specs.push_back(swiglu_spec(3, 7, DType::bf16));
  specs.push_back(swiglu_spec(67, 577, DType::bf16));
  return specs;
}

}  // namespace retune::ops
