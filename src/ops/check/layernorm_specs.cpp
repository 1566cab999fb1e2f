#include <fmt/format.h>

#include "ops/check/accumulating_dx_spec.h"
#include "ops/check/specs.h"
#include "ops/layernorm.h"
#include "ops/reference/layernorm.h"

namespace retune::ops {

namespace {

constexpr float kEps = 1e-5f;  // GPT-2's layer_norm_epsilon

OpSpec layernorm_spec(int64_t N, int64_t C) {
  OpSpec spec;
  spec.op = "layernorm";
  spec.variant = fmt::format("N={} C={}", N, C);
  spec.inputs = {{"x", {N, C}, ArgKind::real, -2.0, 2.0},
                 {"weight", {C}, ArgKind::real, 0.5, 1.5},
                 {"bias", {C}, ArgKind::real, -0.5, 0.5}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros({N, C});
    HostArray mean = host_zeros({N});
    HostArray rstd = host_zeros({N});
    reference::layernorm_forward<double>(in.at("x").values.data(), in.at("weight").values.data(),
                                         in.at("bias").values.data(), out.values.data(),
                                         mean.values.data(), rstd.values.data(), N, C, kEps);
    return HostArrays{{"out", out}, {"mean", mean}, {"rstd", rstd}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays& out, const HostArrays& d) {
    HostArray dx = host_zeros({N, C});
    HostArray dweight = host_zeros({C});
    HostArray dbias = host_zeros({C});
    reference::layernorm_backward<double>(
        d.at("out").values.data(), in.at("x").values.data(), in.at("weight").values.data(),
        out.at("mean").values.data(), out.at("rstd").values.data(), dx.values.data(),
        dweight.values.data(), dbias.values.data(), N, C);
    return HostArrays{{"dx", dx}, {"dweight", dweight}, {"dbias", dbias}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& x = in.at("x");
    Tensor out = Tensor::empty({N, C}, DType::f32, x.device());
    Tensor mean = Tensor::empty({N}, DType::f32, x.device());
    Tensor rstd = Tensor::empty({N}, DType::f32, x.device());
    layernorm_forward(x, in.at("weight"), in.at("bias"), out, mean, rstd, kEps);
    return Tensors{{"out", out}, {"mean", mean}, {"rstd", rstd}};
  };
  spec.backward = [=](const Tensors& in, const Tensors& out, const Tensors& d) {
    const Tensor& x = in.at("x");
    Tensor dx = Tensor::empty({N, C}, DType::f32, x.device());
    Tensor dweight = Tensor::zeros({C}, DType::f32, x.device());
    Tensor dbias = Tensor::zeros({C}, DType::f32, x.device());
    layernorm_backward(d.at("out"), x, in.at("weight"), out.at("mean"), out.at("rstd"), dx, dweight,
                       dbias);
    return Tensors{{"dx", dx}, {"dweight", dweight}, {"dbias", dbias}};
  };
  // f32 sums of C values for mean and variance, then a few rounded products: a few ulp of
  // O(1) values (rstd reaches 1/sqrt(eps) ~ 316 when C is 1 and the variance is 0).
  spec.forward_tolerance = {1e-5, 1e-5};
  // dx subtracts O(1) terms (cancellation near 0); dweight, dbias sum N products. All f32.
  spec.backward_tolerance = {1e-5, 1e-5};
  // Smooth in x (eps keeps rstd bounded): central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = N * C < 2000;
  return spec;
}

}  // namespace

std::vector<OpSpec> layernorm_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(layernorm_spec(3, 7));
  // One column: the variance is 0, so rstd = 1/sqrt(eps) = 316 and dx, exactly 0, comes out
  // of f32 as rstd times the rounding of weight * dout: up to ~316 * 1.2e-7.
  OpSpec single = layernorm_spec(1, 1);
  single.backward_tolerance = {1e-4, 1e-5};
  specs.push_back(single);
  // Two columns: xhat is +-1. Pairs exact in f32 and at least 0.25 apart: a nearly equal pair
  // would make rstd (and the error of dx) grow like 1 / (x0 - x1), from the inputs' rounding.
  OpSpec pairs = layernorm_spec(5, 2);
  pairs.inputs[0].fixed = {-1.5, 0.5, 1.25, 1.0, -0.375, 0.625, 2.0, -2.0, 0.75, 1.0625};
  specs.push_back(pairs);
  specs.push_back(layernorm_spec(1, 13));    // one row
  specs.push_back(layernorm_spec(4, 65));    // one past a column block
  specs.push_back(layernorm_spec(67, 577));  // large: many rows, odd width
  // dx added into a residual stream's gradient (accumulate_dx).
  for (const OpSpec& plain : {layernorm_spec(3, 7), layernorm_spec(67, 577)}) {
    specs.push_back(
        accumulating_dx_spec(plain, [](const Tensors& in, const Tensors& out, const Tensor& dx) {
          layernorm_backward(in.at("dout"), in.at("x"), in.at("weight"), out.at("mean"),
                             out.at("rstd"), dx, Tensor(), Tensor(), true);
        }));
  }
  return specs;
}

}  // namespace retune::ops
