#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/dropout.h"
#include "ops/reference/dropout.h"

namespace retune::ops {

namespace {

constexpr uint64_t kSeed = 0x5eed;
constexpr uint64_t kOffset = 1000;  // not 0: the mask must follow the offset

// x_dtype: x's and dout's (bf16: a model's MLP activation on a GPU); out and dx are f32.
OpSpec dropout_spec(const Shape& shape, float p, DType x_dtype = DType::f32) {
  const int64_t n = shape.numel();
  OpSpec spec;
  spec.op = "dropout";
  spec.variant = fmt::format("x{} p={}{}", shape.str(), p, x_dtype == DType::f32 ? "" : " bf16 in");
  spec.inputs = {{"x", shape}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(shape);
    const std::vector<double> x = stored_values(in.at("x"), x_dtype);
    reference::dropout<double>(x.data(), out.values.data(), n, p, kSeed, kOffset);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays&, const HostArrays&, const HostArrays& d) {
    HostArray dx = host_zeros(shape);
    const std::vector<double> dout = stored_values(d.at("out"), x_dtype);
    reference::dropout<double>(dout.data(), dx.values.data(), n, p, kSeed, kOffset);
    return HostArrays{{"dx", dx}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor out = Tensor::empty(shape, DType::f32, in.at("x").device());
    dropout_forward(in.at("x").to(x_dtype), out, p, kSeed, kOffset);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    Tensor dx = Tensor::empty(shape, DType::f32, in.at("x").device());
    dropout_backward(d.at("out").to(x_dtype), dx, p, kSeed, kOffset);
    return Tensors{{"dx", dx}};
  };
  // x rounded to f32, 1 / (1 - p) rounded, the product rounded: under 1.8e-7 relative in all.
  // A wrong mask bit would be an O(1) error.
  spec.forward_tolerance = {1e-12, 2e-7};
  spec.backward_tolerance = {1e-12, 2e-7};
  // Linear in x: central differences are exact up to rounding.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  spec.check_finite_differences = n < 5000 && x_dtype == DType::f32;
  return spec;
}

}  // namespace

std::vector<OpSpec> dropout_specs() {
  std::vector<OpSpec> specs;
  for (float p : {0.0f, 0.1f, 0.5f, 1.0f}) specs.push_back(dropout_spec({3, 13}, p));
  specs.push_back(dropout_spec({1}, 0.5f));        // one element
  specs.push_back(dropout_spec({2, 3, 7}, 0.3f));  // 3-D, odd sizes
  specs.push_back(dropout_spec({67, 577}, 0.1f));  // large: every thread draws its own part
  for (float p : {0.0f, 0.1f}) specs.push_back(dropout_spec({5, 77}, p, DType::bf16));
  return specs;
}

}  // namespace retune::ops
