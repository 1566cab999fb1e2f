#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ops/check/specs.h"
#include "ops/kl_divergence_head.h"
#include "ops/reference/kl_divergence_head.h"

namespace retune::ops {

namespace {

struct KlCase {
  int64_t N, C, V;
  std::vector<double> labels;  // N values: kIgnoreIndex (not scored) or anything else
  double temperature;
  int64_t chunk;
};

OpSpec kl_divergence_head_spec(const std::string& what, KlCase c) {
  OpSpec spec;
  spec.op = "kl_divergence_head";
  spec.variant =
      fmt::format("{} N={} C={} V={} tau={} chunk={}", what, c.N, c.C, c.V, c.temperature, c.chunk);
  spec.inputs = {{"x", {c.N, c.C}},
                 {"weight", {c.V, c.C}},
                 {"teacher_x", {c.N, c.C}, ArgKind::real, -1, 1, false},
                 {"teacher_weight", {c.V, c.C}, ArgKind::real, -1, 1, false},
                 {"labels", {c.N}, ArgKind::integer, 0, 0, false, c.labels}};
  spec.loss_outputs = {"loss"};
  const auto tau = static_cast<float>(c.temperature);
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray loss = host_zeros({1});
    HostArray lse = host_zeros({c.N});
    HostArray teacher_lse = host_zeros({c.N});
    loss.values[0] = reference::kl_divergence_head_forward<double>(
        in.at("x").values.data(), in.at("weight").values.data(), in.at("teacher_x").values.data(),
        in.at("teacher_weight").values.data(), host_int32s(in.at("labels")).data(), c.N, c.C, c.V,
        tau, lse.values.data(), teacher_lse.values.data());
    return HostArrays{{"loss", loss}, {"lse", lse}, {"teacher_lse", teacher_lse}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray dx = host_zeros({c.N, c.C});
    HostArray dweight = host_zeros({c.V, c.C});
    reference::kl_divergence_head_backward<double>(
        d.at("loss").values[0], in.at("x").values.data(), in.at("weight").values.data(),
        in.at("teacher_x").values.data(), in.at("teacher_weight").values.data(),
        host_int32s(in.at("labels")).data(), c.N, c.C, c.V, tau, dx.values.data(),
        dweight.values.data());
    return HostArrays{{"dx", dx}, {"dweight", dweight}};
  };
  spec.forward = [=](const Tensors& in) {
    const Device device = in.at("x").device();
    Tensor loss = Tensor::empty({1}, DType::f32, device);
    Tensor lse = Tensor::empty({c.N}, DType::f32, device);
    Tensor teacher_lse = Tensor::empty({c.N}, DType::f32, device);
    kl_divergence_head_forward(in.at("x"), in.at("weight"), in.at("teacher_x"),
                               in.at("teacher_weight"), in.at("labels"), tau, loss, lse,
                               teacher_lse, c.chunk);
    return Tensors{{"loss", loss}, {"lse", lse}, {"teacher_lse", teacher_lse}};
  };
  spec.backward = [=](const Tensors& in, const Tensors& out, const Tensors& d) {
    const Device device = in.at("x").device();
    Tensor dx = Tensor::empty({c.N, c.C}, DType::f32, device);
    Tensor dweight = Tensor::zeros({c.V, c.C}, DType::f32, device);
    kl_divergence_head_backward(d.at("loss"), in.at("x"), in.at("weight"), in.at("teacher_x"),
                                in.at("teacher_weight"), in.at("labels"), tau, out.at("lse"),
                                out.at("teacher_lse"), dx, dweight, c.chunk);
    return Tensors{{"dx", dx}, {"dweight", dweight}};
  };
  // The lse are O(log V + sqrt(C) / τ) in f32; the KL is a sum of V terms p_t (log p_t -
  // log p_s), each log a difference of two such values: a few f32 ulps of ~10 per term.
  spec.forward_tolerance = {2e-5, 1e-5};
  // Gradients are τ (p_s - p_t) / n times f32 sums of up to V (dx) or N (dweight) terms.
  spec.backward_tolerance = {1e-6, 1e-5};
  // On a GPU, both heads' operands are rounded to bf16 for the products: a logit / τ (a sum of C
  // terms ~0.25 in size) errs by ~sqrt(C) * 4e-3 * 0.25 / τ, both lse alike; the KL is a sum of
  // p_t times differences of such logits, and the gradients are differences of softmax weights
  // (relative error about the logits' absolute one) times bf16-rounded operands.
  const double logit_error =
      4 * std::sqrt(static_cast<double>(c.C)) * 4e-3 * 0.25 / std::min(c.temperature, 1.0);
  spec.bf16_forward_tolerance = Tolerance{logit_error, 1e-3};
  spec.bf16_backward_tolerance = Tolerance{1e-4, logit_error + 2e-2};
  // The loss is smooth: central differences with step 1e-6 are good to ~1e-9 in double.
  spec.finite_difference_tolerance = {1e-7, 1e-6};
  spec.check_finite_differences = c.N * c.C * c.V < 5000;
  return spec;
}

}  // namespace

std::vector<OpSpec> kl_divergence_head_specs() {
  std::vector<OpSpec> specs;
  // Chunks of 7 classes: 37 is 5 full chunks and one of 2; rows 1 and 3 are not scored.
  specs.push_back(
      kl_divergence_head_spec("masked rows", {5, 8, 37, {3, -100, 36, -100, 0}, 1.0, 7}));
  // τ != 1: the τ² of the loss and the 1/τ of the logits.
  specs.push_back(kl_divergence_head_spec("temperature 2", {4, 6, 23, {1, 2, 3, 4}, 2.0, 5}));
  specs.push_back(kl_divergence_head_spec("temperature 0.5", {3, 5, 19, {0, -100, 7}, 0.5, 19}));
  // Edge case: no row scored. Loss and gradients are 0.
  specs.push_back(
      kl_divergence_head_spec("all masked", {4, 8, 11, std::vector<double>(4, -100), 1.0, 3}));
  // Large: sgemm's blocked and threaded paths, a partial last chunk (5000 = 4096 + 904).
  std::vector<double> labels(64);
  for (size_t n = 0; n < labels.size(); ++n) labels[n] = n % 5 == 2 ? -100 : 1;
  specs.push_back(
      kl_divergence_head_spec("large", {64, 96, 5000, labels, 1.5, kCrossEntropyHeadChunk}));
  return specs;
}

}  // namespace retune::ops
