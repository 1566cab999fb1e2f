#include <fmt/format.h>

#include <cmath>

#include "ops/check/specs.h"
#include "ops/cross_entropy_head.h"
#include "ops/reference/cross_entropy_head.h"

namespace retune::ops {

namespace {

struct HeadCase {
  int64_t N, C, V;
  std::vector<double> labels;  // N values: classes or kIgnoreIndex
  int64_t chunk;
};

OpSpec cross_entropy_head_spec(const std::string& what, HeadCase c) {
  OpSpec spec;
  spec.op = "cross_entropy_head";
  spec.variant = fmt::format("{} N={} C={} V={} chunk={}", what, c.N, c.C, c.V, c.chunk);
  spec.inputs = {{"x", {c.N, c.C}},
                 {"weight", {c.V, c.C}},
                 {"labels", {c.N}, ArgKind::integer, 0, 0, false, c.labels}};
  spec.loss_outputs = {"loss"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray loss = host_zeros({1});
    HostArray lse = host_zeros({c.N});
    loss.values[0] = reference::cross_entropy_head_forward<double>(
        in.at("x").values.data(), in.at("weight").values.data(),
        host_int32s(in.at("labels")).data(), c.N, c.C, c.V, lse.values.data());
    return HostArrays{{"loss", loss}, {"lse", lse}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays& out, const HostArrays& d) {
    HostArray dx = host_zeros({c.N, c.C});
    HostArray dweight = host_zeros({c.V, c.C});
    reference::cross_entropy_head_backward<double>(
        d.at("loss").values[0], in.at("x").values.data(), in.at("weight").values.data(),
        host_int32s(in.at("labels")).data(), out.at("lse").values.data(), c.N, c.C, c.V,
        dx.values.data(), dweight.values.data());
    return HostArrays{{"dx", dx}, {"dweight", dweight}};
  };
  spec.forward = [=](const Tensors& in) {
    const Device device = in.at("x").device();
    Tensor loss = Tensor::empty({1}, DType::f32, device);
    Tensor lse = Tensor::empty({c.N}, DType::f32, device);
    cross_entropy_head_forward(in.at("x"), in.at("weight"), in.at("labels"), loss, lse, c.chunk);
    return Tensors{{"loss", loss}, {"lse", lse}};
  };
  spec.backward = [=](const Tensors& in, const Tensors& out, const Tensors& d) {
    const Device device = in.at("x").device();
    Tensor dx = Tensor::empty({c.N, c.C}, DType::f32, device);
    Tensor dweight = Tensor::zeros({c.V, c.C}, DType::f32, device);
    cross_entropy_head_backward(d.at("loss"), in.at("x"), in.at("weight"), in.at("labels"),
                                out.at("lse"), dx, dweight, c.chunk);
    return Tensors{{"dx", dx}, {"dweight", dweight}};
  };
  // f32 logits are sums of C products in [-1, 1]; lse and the loss are O(log V + sqrt(C)), so
  // their rounding is a few f32 ulps of ~10.
  spec.forward_tolerance = {1e-5, 1e-5};
  // Gradients are O(1/n) softmax weights times f32 sums of up to V (dx) or N (dweight) terms.
  spec.backward_tolerance = {1e-7, 1e-5};
  // On a GPU, x and the weight are rounded to bf16 for the products: a logit (a sum of C terms
  // ~0.25 in size) errs by ~sqrt(C) * 4e-3 * 0.25, and lse and the loss alike; the gradients are
  // softmax weights (relative error about the logits' absolute one) times bf16-rounded operands.
  const double logit_error = 4 * std::sqrt(static_cast<double>(c.C)) * 4e-3 * 0.25;
  spec.bf16_forward_tolerance = Tolerance{logit_error, 1e-3};
  spec.bf16_backward_tolerance = Tolerance{1e-4, logit_error + 2e-2};
  // The loss is smooth: central differences with step 1e-6 are good to ~1e-9 in double.
  spec.finite_difference_tolerance = {1e-7, 1e-6};
  spec.check_finite_differences = c.N * c.C * c.V < 5000;
  return spec;
}

}  // namespace

std::vector<OpSpec> cross_entropy_head_specs() {
  std::vector<OpSpec> specs;
  // Chunks of 7 classes: 37 is 5 full chunks and one of 2; rows 1 and 3 are ignored.
  specs.push_back(cross_entropy_head_spec("ignored rows", {5, 8, 37, {3, -100, 36, -100, 0}, 7}));
  specs.push_back(cross_entropy_head_spec("one token", {1, 16, 50, {49}, 16}));
  // Edge case: no label at all. Loss and gradients are 0 (PyTorch: NaN).
  specs.push_back(
      cross_entropy_head_spec("all ignored", {4, 8, 11, std::vector<double>(4, -100), 3}));
  // Large: sgemm's blocked and threaded paths, a partial last chunk (5000 = 4096 + 904).
  std::vector<double> labels(64);
  for (size_t n = 0; n < labels.size(); ++n) {
    labels[n] = n % 5 == 2 ? -100 : static_cast<double>((n * 2713) % 5000);
  }
  specs.push_back(cross_entropy_head_spec("large", {64, 96, 5000, labels, kCrossEntropyHeadChunk}));
  return specs;
}

}  // namespace retune::ops
