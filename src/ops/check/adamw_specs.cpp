#include <fmt/format.h>

#include "ops/adamw.h"
#include "ops/check/specs.h"
#include "ops/reference/adamw.h"

namespace retune::ops {

namespace {

// One step t on n parameters whose moments hold several steps' worth of state: m in [-1, 1],
// v in [0, 1]. The op has no backward: its outputs are the updated param, m and v.
OpSpec adamw_spec(int64_t n, int64_t step, AdamWOptions options) {
  OpSpec spec;
  spec.op = "adamw";
  spec.variant =
      fmt::format("n={} t={} lr={} weight_decay={}", n, step, options.lr, options.weight_decay);
  spec.inputs = {{"param", {n}, ArgKind::real, -1, 1, false},
                 {"grad", {n}, ArgKind::real, -1, 1, false},
                 {"m", {n}, ArgKind::real, -1, 1, false},
                 {"v", {n}, ArgKind::real, 0, 1, false}};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArrays out{{"param", in.at("param")}, {"m", in.at("m")}, {"v", in.at("v")}};
    reference::adamw_step<double>(out.at("param").values.data(), in.at("grad").values.data(),
                                  out.at("m").values.data(), out.at("v").values.data(), n, step,
                                  options);
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    Tensors out{
        {"param", in.at("param").clone()}, {"m", in.at("m").clone()}, {"v", in.at("v").clone()}};
    adamw_step(out.at("param"), in.at("grad"), out.at("m"), out.at("v"), step, options);
    return out;
  };
  // A handful of f32 roundings of O(1) values (with v >= 1e-3 or so among 1003 draws, the
  // update lr * m_hat / sqrt(v_hat) stays O(lr * 10)).
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> adamw_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(adamw_spec(1, 1, {.lr = 1e-2}));
  specs.push_back(adamw_spec(7, 5, {.lr = 1e-2, .weight_decay = 0}));
  specs.push_back(adamw_spec(1003, 5, {.lr = 1e-2, .weight_decay = 0.1}));
  specs.push_back(adamw_spec(1003, 1000, {.lr = 3e-4, .beta2 = 0.95}));  // moments' bias gone
  return specs;
}

}  // namespace retune::ops
