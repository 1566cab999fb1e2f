#include <fmt/format.h>

#include "ops/check/accumulating_dx_spec.h"
#include "ops/check/specs.h"
#include "ops/reference/rmsnorm.h"
#include "ops/rmsnorm.h"

namespace retune::ops {

namespace {

constexpr float kEps = 1e-6f;  // Qwen2's and Llama 3's rms_norm_eps

// out_dtype: bf16 for a norm whose output only feeds matrix products (a model's on a GPU).
OpSpec rmsnorm_spec(int64_t N, int64_t C, DType out_dtype = DType::f32) {
  OpSpec spec;
  spec.op = "rmsnorm";
  spec.variant = fmt::format("N={} C={}{}", N, C, out_dtype == DType::f32 ? "" : " out bf16");
  spec.inputs = {{"x", {N, C}, ArgKind::real, -2.0, 2.0}, {"weight", {C}, ArgKind::real, 0.5, 1.5}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros({N, C});
    HostArray rstd = host_zeros({N});
    reference::rmsnorm_forward<double>(in.at("x").values.data(), in.at("weight").values.data(),
                                       out.values.data(), rstd.values.data(), N, C, kEps);
    return HostArrays{{"out", out}, {"rstd", rstd}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays& out, const HostArrays& d) {
    HostArray dx = host_zeros({N, C});
    HostArray dweight = host_zeros({C});
    reference::rmsnorm_backward<double>(d.at("out").values.data(), in.at("x").values.data(),
                                        in.at("weight").values.data(), out.at("rstd").values.data(),
                                        dx.values.data(), dweight.values.data(), N, C);
    return HostArrays{{"dx", dx}, {"dweight", dweight}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& x = in.at("x");
    Tensor out = Tensor::empty({N, C}, out_dtype, x.device());
    Tensor rstd = Tensor::empty({N}, DType::f32, x.device());
    rmsnorm_forward(x, in.at("weight"), out, rstd, kEps);
    return Tensors{{"out", out}, {"rstd", rstd}};
  };
  spec.backward = [=](const Tensors& in, const Tensors& out, const Tensors& d) {
    const Tensor& x = in.at("x");
    Tensor dx = Tensor::empty({N, C}, DType::f32, x.device());
    Tensor dweight = Tensor::zeros({C}, DType::f32, x.device());
    rmsnorm_backward(d.at("out"), x, in.at("weight"), out.at("rstd"), dx, dweight);
    return Tensors{{"dx", dx}, {"dweight", dweight}};
  };
  // f32 sums of C squares, then a product of three rounded factors: a few ulp of O(1) values.
  spec.forward_tolerance = {1e-6, 1e-5};
  // dx subtracts two O(1) terms (cancellation near 0), dweight sums N products: both f32.
  spec.backward_tolerance = {1e-5, 1e-5};
  // Smooth in x (eps keeps rstd bounded): central differences are good to ~h^2.
  spec.finite_difference_tolerance = {1e-6, 1e-6};
  spec.check_finite_differences = N * C < 2000;
  // A bf16 out is the f32 one rounded once (2^-8 relative at most).
  if (out_dtype == DType::bf16) spec.forward_tolerance = {1e-6, 4e-3};
  return spec;
}

}  // namespace

std::vector<OpSpec> rmsnorm_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(rmsnorm_spec(3, 7));
  specs.push_back(rmsnorm_spec(1, 1));     // one element: out is weight * sign(x)
  specs.push_back(rmsnorm_spec(5, 1));     // one column
  specs.push_back(rmsnorm_spec(1, 13));    // one row
  specs.push_back(rmsnorm_spec(4, 65));    // one past a column block
  specs.push_back(rmsnorm_spec(67, 577));  // large: many rows, odd width
  specs.push_back(rmsnorm_spec(3, 7, DType::bf16));
  specs.push_back(rmsnorm_spec(67, 577, DType::bf16));
  // dx added into a residual stream's gradient (accumulate_dx).
  for (const OpSpec& plain : {rmsnorm_spec(3, 7), rmsnorm_spec(67, 577)}) {
    specs.push_back(
        accumulating_dx_spec(plain, [](const Tensors& in, const Tensors& out, const Tensor& dx) {
          rmsnorm_backward(in.at("dout"), in.at("x"), in.at("weight"), out.at("rstd"), dx, Tensor(),
                           true);
        }));
  }
  return specs;
}

}  // namespace retune::ops
