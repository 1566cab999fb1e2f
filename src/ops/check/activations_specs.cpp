#include <fmt/format.h>

#include "ops/activations.h"
#include "ops/check/specs.h"
#include "ops/reference/activations.h"

namespace retune::ops {

namespace {

// One elementwise activation: its reference and the op, on n flat elements.
struct Activation {
  std::string op;  // "silu", "gelu"
  std::string variant;
  std::function<void(const double* x, double* out, int64_t n)> reference_forward;
  std::function<void(const double* x, const double* dout, double* dx, int64_t n)>
      reference_backward;
  std::function<void(const Tensor& x, const Tensor& out)> forward;
  std::function<void(const Tensor& x, const Tensor& dout, const Tensor& dx)> backward;
};

OpSpec activation_spec(const Activation& a, const Shape& shape) {
  const int64_t n = shape.numel();
  OpSpec spec;
  spec.op = a.op;
  spec.variant = fmt::format("{}x{}", a.variant, shape.str());
  // Past |x| = 6 both activations are x or 0 to f32 precision: this covers the bend and tails.
  spec.inputs = {{"x", shape, ArgKind::real, -6.0, 6.0}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(shape);
    a.reference_forward(in.at("x").values.data(), out.values.data(), n);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray dx = host_zeros(shape);
    a.reference_backward(in.at("x").values.data(), d.at("out").values.data(), dx.values.data(), n);
    return HostArrays{{"dx", dx}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor out = Tensor::empty(shape, DType::f32, in.at("x").device());
    a.forward(in.at("x"), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    Tensor dx = Tensor::empty(shape, DType::f32, in.at("x").device());
    a.backward(in.at("x"), d.at("out"), dx);
    return Tensors{{"dx", dx}};
  };
  // f32 exp / erf / tanh are good to a few ulp; 1 + erf(x) and 1 + tanh(u) cancel for x << 0,
  // leaving an absolute error of a few ulp of 1 times |x| <= 6.
  spec.forward_tolerance = {2e-6, 2e-6};
  spec.backward_tolerance = {2e-6, 2e-6};
  // Smooth functions: central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = n < 5000;
  return spec;
}

std::vector<OpSpec> activation_specs(const Activation& a) {
  std::vector<OpSpec> specs;
  for (const Shape& shape : {Shape{1}, Shape{7}, Shape{3, 13}, Shape{2, 3, 5}, Shape{67, 577}}) {
    specs.push_back(activation_spec(a, shape));
  }
  return specs;
}

Activation gelu(GeluApproximation approximation) {
  return {"gelu",
          approximation == GeluApproximation::none ? "erf " : "tanh ",
          [=](const double* x, double* out, int64_t n) {
            reference::gelu_forward<double>(x, out, n, approximation);
          },
          [=](const double* x, const double* dout, double* dx, int64_t n) {
            reference::gelu_backward<double>(x, dout, dx, n, approximation);
          },
          [=](const Tensor& x, const Tensor& out) { gelu_forward(x, out, approximation); },
          [=](const Tensor& x, const Tensor& dout, const Tensor& dx) {
            gelu_backward(x, dout, dx, approximation);
          }};
}

}  // namespace

std::vector<OpSpec> silu_specs() {
  return activation_specs({"silu", "", reference::silu_forward<double>,
                           reference::silu_backward<double>, silu_forward, silu_backward});
}

std::vector<OpSpec> gelu_specs() {
  std::vector<OpSpec> specs = activation_specs(gelu(GeluApproximation::none));
  for (OpSpec& spec : activation_specs(gelu(GeluApproximation::tanh))) {
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace retune::ops
