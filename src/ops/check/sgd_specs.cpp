#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/reference/sgd.h"
#include "ops/sgd.h"

namespace retune::ops {

namespace {

// One step on n parameters (buffer in [-1, 1] when there is momentum). The op has no
// backward: its outputs are the updated param and buffer.
OpSpec sgd_spec(int64_t n, bool first_step, SgdOptions options) {
  const bool momentum = options.momentum != 0;
  OpSpec spec;
  spec.op = "sgd";
  spec.variant =
      fmt::format("n={}{} lr={} momentum={} dampening={} weight_decay={}{}", n,
                  first_step ? " first step" : "", options.lr, options.momentum, options.dampening,
                  options.weight_decay, options.nesterov ? " nesterov" : "");
  spec.inputs = {{"param", {n}, ArgKind::real, -1, 1, false},
                 {"grad", {n}, ArgKind::real, -1, 1, false}};
  if (momentum) spec.inputs.push_back({"buffer", {n}, ArgKind::real, -1, 1, false});
  spec.reference_forward = [=](const HostArrays& in) {
    HostArrays out{{"param", in.at("param")}};
    if (momentum) out["buffer"] = in.at("buffer");
    reference::sgd_step<double>(out.at("param").values.data(), in.at("grad").values.data(),
                                momentum ? out.at("buffer").values.data() : nullptr, n, first_step,
                                options);
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    Tensors out{{"param", in.at("param").clone()}};
    if (momentum) out["buffer"] = in.at("buffer").clone();
    sgd_step(out.at("param"), in.at("grad"), momentum ? out.at("buffer") : Tensor(), first_step,
             options);
    return out;
  };
  // A few f32 roundings of O(1) values.
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> sgd_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(sgd_spec(1, false, {.lr = 0.1}));  // plain gradient descent
  specs.push_back(sgd_spec(7, true, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}));
  specs.push_back(sgd_spec(7, false, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1}));
  specs.push_back(
      sgd_spec(1003, false, {.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true}));
  specs.push_back(sgd_spec(1003, true, {.lr = 0.05, .momentum = 0.5, .nesterov = true}));
  return specs;
}

}  // namespace retune::ops
