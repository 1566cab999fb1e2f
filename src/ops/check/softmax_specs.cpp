#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/reference/softmax.h"
#include "ops/softmax.h"

namespace retune::ops {

namespace {

OpSpec softmax_spec(int64_t N, int64_t C, double lo = -5.0, double hi = 5.0) {
  OpSpec spec;
  spec.op = "softmax";
  spec.variant = fmt::format("N={} C={} x in [{}, {})", N, C, lo, hi);
  spec.inputs = {{"x", {N, C}, ArgKind::real, lo, hi}};
  spec.loss_outputs = {"y"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray y = host_zeros({N, C});
    reference::softmax_forward<double>(in.at("x").values.data(), y.values.data(), N, C);
    return HostArrays{{"y", y}};
  };
  spec.reference_backward = [=](const HostArrays&, const HostArrays& out, const HostArrays& d) {
    HostArray dx = host_zeros({N, C});
    reference::softmax_backward<double>(out.at("y").values.data(), d.at("y").values.data(),
                                        dx.values.data(), N, C);
    return HostArrays{{"dx", dx}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor y = Tensor::empty({N, C}, DType::f32, in.at("x").device());
    softmax_forward(in.at("x"), y);
    return Tensors{{"y", y}};
  };
  spec.backward = [=](const Tensors&, const Tensors& out, const Tensors& d) {
    Tensor dx = Tensor::empty({N, C}, DType::f32, out.at("y").device());
    softmax_backward(out.at("y"), d.at("y"), dx);
    return Tensors{{"dx", dx}};
  };
  // f32 exp is good to a few ulp and the f32 sum of C terms adds ~C * 6e-8 relative at worst;
  // y is in [0, 1].
  spec.forward_tolerance = {1e-7, 1e-5};
  // y times (dy - f32 dot of C products): the difference cancels near 0, hence the atol.
  spec.backward_tolerance = {1e-6, 1e-5};
  // Smooth: central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = N * C < 2000;
  return spec;
}

}  // namespace

std::vector<OpSpec> softmax_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(softmax_spec(3, 7));
  specs.push_back(softmax_spec(1, 1));   // one element: y is 1, dx is 0
  specs.push_back(softmax_spec(5, 2));   // two columns
  specs.push_back(softmax_spec(1, 13));  // one row
  // Logits whose exp overflows f32 unless the max is subtracted.
  specs.push_back(softmax_spec(4, 9, 80.0, 120.0));
  specs.push_back(softmax_spec(67, 577));  // large
  return specs;
}

}  // namespace retune::ops
