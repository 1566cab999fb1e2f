#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/clip_grad_norm.h"
#include "ops/reference/clip_grad_norm.h"

namespace retune::ops {

namespace {

// Gradients of awkward sizes (1, 7 and 1003 elements; total norm ~18 for values in [-1, 1]).
// The op has no backward: its outputs are the clipped gradients and the norm.
OpSpec clip_grad_norm_spec(double max_norm) {
  const std::vector<std::string> names = {"g0", "g1", "g2"};
  const std::vector<Shape> shapes = {{1}, {7}, {17, 59}};
  OpSpec spec;
  spec.op = "clip_grad_norm";
  spec.variant = fmt::format("sizes 1, 7, 1003 max_norm={}", max_norm);
  for (size_t k = 0; k < names.size(); ++k) {
    spec.inputs.push_back({names[k], shapes[k], ArgKind::real, -1, 1, false});
  }
  spec.reference_forward = [=](const HostArrays& in) {
    HostArrays out;
    std::vector<double*> grads;
    std::vector<int64_t> sizes;
    for (const std::string& name : names) {
      HostArray& g = out[name] = in.at(name);
      grads.push_back(g.values.data());
      sizes.push_back(g.shape.numel());
    }
    HostArray norm = host_zeros({1});
    norm.values[0] = reference::clip_grad_norm<double>(
        grads.data(), sizes.data(), static_cast<int64_t>(names.size()), max_norm);
    out["norm"] = norm;
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    Tensors out;
    std::vector<Tensor> grads;
    for (const std::string& name : names) grads.push_back(out[name] = in.at(name).clone());
    const double norm = clip_grad_norm(grads, max_norm);
    out["norm"] =
        Tensor::from_vector<float>({1}, DType::f32, std::vector<float>{static_cast<float>(norm)});
    return out;
  };
  // The norm is accumulated in double (reported through an f32 [1]); the scaling is one f32
  // multiplication of O(1) values.
  spec.forward_tolerance = {1e-7, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> clip_grad_norm_specs() {
  return {clip_grad_norm_spec(1.0),    // clips: the norm is ~18
          clip_grad_norm_spec(100.0),  // does not clip
          clip_grad_norm_spec(0.0)};   // only measures
}

}  // namespace retune::ops
