#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/reference/rope.h"
#include "ops/rope.h"

namespace retune::ops {

namespace {

struct RopeCase {
  int64_t B, T, H, D, R;
  double theta;                   // > 0: inv_freq = rope_inv_freq(theta, R); 0: random in [0, 1)
  int64_t max_position;           // positions drawn in [0, max_position] ...
  std::vector<double> positions;  // ... unless given (packed documents restart them)
};

std::vector<double> inv_freq_values(double theta, int64_t rotary_dims) {
  const std::vector<float> values = rope_inv_freq(theta, rotary_dims).to_f32_vector();
  return {values.begin(), values.end()};
}

OpSpec rope_spec(const RopeCase& c) {
  const Shape x_shape{c.B, c.T, c.H, c.D};
  ArgSpec positions{"positions", {c.B, c.T}, ArgKind::integer, 0, double(c.max_position)};
  positions.fixed = c.positions;
  ArgSpec inv_freq{"inv_freq", {c.R / 2}, ArgKind::real, 0.0, 1.0, false};
  if (c.theta > 0) inv_freq.fixed = inv_freq_values(c.theta, c.R);

  OpSpec spec;
  spec.op = "rope";
  spec.variant = fmt::format("x{} R={} {}{}", x_shape.str(), c.R,
                             c.theta > 0 ? fmt::format("theta={}", c.theta) : "random inv_freq",
                             c.positions.empty() ? "" : " packed positions");
  spec.inputs = {{"x", x_shape}, positions, inv_freq};
  spec.loss_outputs = {"out"};
  // The rotation of `in` by +angle (forward) or -angle (backward) through the reference.
  auto reference_rope = [=](const HostArrays& in, const std::vector<double>& x, bool inverse) {
    const std::vector<double>& pos = in.at("positions").values;
    const std::vector<int32_t> positions_i32(pos.begin(), pos.end());
    HostArray out = host_zeros(x_shape);
    reference::rope_forward<double>(x.data(), positions_i32.data(), in.at("inv_freq").values.data(),
                                    out.values.data(), c.B * c.T, c.H, c.D, c.R, inverse);
    return out;
  };
  spec.reference_forward = [=](const HostArrays& in) {
    return HostArrays{{"out", reference_rope(in, in.at("x").values, false)}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    return HostArrays{{"dx", reference_rope(in, d.at("out").values, true)}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& x = in.at("x");
    Tensor out = Tensor::empty(x_shape, DType::f32, x.device());
    rope_forward(x, in.at("positions"), in.at("inv_freq"), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    const Tensor& dout = d.at("out");
    Tensor dx = Tensor::empty(x_shape, DType::f32, dout.device());
    rope_backward(dout, in.at("positions"), in.at("inv_freq"), dx);
    return Tensors{{"dx", dx}};
  };
  // The reference uses the op's f32 angle, so only f32 cos/sin (< 1 ulp) and the two rounded
  // products and sum of |x| <= 1 differ: a few ulps of 1.
  spec.forward_tolerance = {1e-6, 1e-6};
  spec.backward_tolerance = {1e-6, 1e-6};
  // The op is linear in x: central differences are exact up to rounding.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  spec.check_finite_differences = x_shape.numel() < 2000;
  return spec;
}

}  // namespace

std::vector<OpSpec> rope_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(rope_spec({2, 3, 2, 8, 8, 10000, 4095, {}}));  // full rotary
  specs.push_back(rope_spec({1, 1, 1, 2, 2, 10000, 100, {}}));   // one token, one pair
  specs.push_back(rope_spec({2, 4, 3, 6, 6, 0, 100, {}}));       // scaled (random) inv_freq
  // Partial rotary (HF partial_rotary_factor 0.4: dims 4..9 pass through), packed documents.
  specs.push_back(rope_spec({1, 7, 2, 10, 4, 10000, 0, {0, 1, 2, 0, 1, 0, 1}}));
  specs.push_back(rope_spec({2, 3, 3, 5, 4, 10000, 50, {}}));  // odd head dim
  // Large: many tokens in parallel, long-context theta and positions.
  specs.push_back(rope_spec({2, 64, 9, 64, 64, 500000, 8191, {}}));
  return specs;
}

}  // namespace retune::ops
