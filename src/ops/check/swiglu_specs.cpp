#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/reference/swiglu.h"
#include "ops/swiglu.h"

namespace retune::ops {

namespace {

OpSpec swiglu_spec(int64_t N, int64_t F) {
  const Shape shape{N, F};
  OpSpec spec;
  spec.op = "swiglu";
  spec.variant = fmt::format("N={} F={}", N, F);
  // The gate covers silu's bend and tails; up is an ordinary projection output.
  spec.inputs = {{"gate", shape, ArgKind::real, -6.0, 6.0},
                 {"up", shape, ArgKind::real, -2.0, 2.0}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(shape);
    reference::swiglu_forward<double>(in.at("gate").values.data(), in.at("up").values.data(),
                                      out.values.data(), N * F);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray dgate = host_zeros(shape);
    HostArray dup = host_zeros(shape);
    reference::swiglu_backward<double>(in.at("gate").values.data(), in.at("up").values.data(),
                                       d.at("out").values.data(), dgate.values.data(),
                                       dup.values.data(), N * F);
    return HostArrays{{"dgate", dgate}, {"dup", dup}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor out = Tensor::empty(shape, DType::f32, in.at("gate").device());
    swiglu_forward(in.at("gate"), in.at("up"), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    Tensor dgate = Tensor::empty(shape, DType::f32, in.at("gate").device());
    Tensor dup = Tensor::empty(shape, DType::f32, in.at("gate").device());
    swiglu_backward(in.at("gate"), in.at("up"), d.at("out"), dgate, dup);
    return Tensors{{"dgate", dgate}, {"dup", dup}};
  };
  // A few rounded f32 products and an exp: a few ulp of values up to ~12.
  spec.forward_tolerance = {2e-6, 2e-6};
  spec.backward_tolerance = {2e-6, 2e-6};
  // Smooth in both inputs: central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = N * F < 5000;
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
  return specs;
}

}  // namespace retune::ops
