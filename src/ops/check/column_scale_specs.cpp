#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/column_scale.h"
#include "ops/reference/column_scale.h"

namespace retune::ops {

namespace {

// The data of an optional host input, or null.
const double* optional_values(const HostArrays& in, const char* name, bool present) {
  return present ? in.at(name).values.data() : nullptr;
}

// An optional device input, or undefined.
Tensor optional_tensor(const Tensors& in, const char* name, bool present) {
  return present ? in.at(name) : Tensor();
}

OpSpec scale_columns_spec(int64_t N, int64_t C, bool shift, bool subtract, bool accumulate) {
  OpSpec spec;
  spec.op = "scale_columns";
  spec.variant = fmt::format("N={} C={}{}{}{}", N, C, shift ? " shift" : "",
                             subtract ? " subtract" : "", accumulate ? " accumulate" : "");
  spec.inputs = {{"x", {N, C}, ArgKind::real, -1, 1, false},
                 {"scale", {C}, ArgKind::real, 0.5, 2, false},
                 {"out", {N, C}, ArgKind::real, -1, 1, false}};
  if (shift) spec.inputs.push_back({"shift", {C}, ArgKind::real, -1, 1, false});
  if (subtract) spec.inputs.push_back({"subtract", {N, C}, ArgKind::real, -1, 1, false});
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = in.at("out");
    reference::scale_columns<double>(
        in.at("x").values.data(), in.at("scale").values.data(), optional_values(in, "shift", shift),
        optional_values(in, "subtract", subtract), out.values.data(), N, C, accumulate);
    return HostArrays{{"out", out}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor out = in.at("out").clone();
    scale_columns(in.at("x"), in.at("scale"), optional_tensor(in, "shift", shift),
                  optional_tensor(in, "subtract", subtract), out, accumulate);
    return Tensors{{"out", out}};
  };
  // One f32 product and up to three f32 sums of O(1) values.
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

OpSpec add_column_products_spec(int64_t N, int64_t C, bool divisor) {
  OpSpec spec;
  spec.op = "add_column_products";
  spec.variant = fmt::format("N={} C={}{}", N, C, divisor ? " divisor" : "");
  spec.inputs = {{"a", {N, C}, ArgKind::real, -1, 1, false},
                 {"b", {N, C}, ArgKind::real, -1, 1, false},
                 {"grad", {C}, ArgKind::real, -1, 1, false}};
  if (divisor) spec.inputs.push_back({"divisor", {C}, ArgKind::real, 0.5, 2, false});
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray grad = in.at("grad");
    reference::add_column_products<double>(in.at("a").values.data(), in.at("b").values.data(),
                                           optional_values(in, "divisor", divisor), N, C,
                                           grad.values.data());
    return HostArrays{{"grad", grad}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor grad = in.at("grad").clone();
    add_column_products(in.at("a"), in.at("b"), optional_tensor(in, "divisor", divisor), grad);
    return Tensors{{"grad", grad}};
  };
  // Sums of N products of O(1) values, ~sqrt(N) in size: the CPU sums in double, the GPU in f32
  // chunks (~N ulps of the sum at most, far less in practice).
  spec.forward_tolerance = {1e-5, 1e-5};
  return spec;
}

OpSpec scale_linear_output_spec(int64_t N, int64_t C, bool bias, bool shift, bool kept) {
  OpSpec spec;
  spec.op = "scale_linear_output";
  spec.variant = fmt::format("N={} C={}{}{}{}", N, C, bias ? " bias" : "", shift ? " shift" : "",
                             kept ? " kept" : "");
  spec.inputs = {{"z", {N, C}, ArgKind::real, -1, 1, false},
                 {"scale", {C}, ArgKind::real, 0.5, 2, false}};
  if (bias) spec.inputs.push_back({"bias", {C}, ArgKind::real, -1, 1, false});
  if (shift) spec.inputs.push_back({"shift", {C}, ArgKind::real, -1, 1, false});
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray z = in.at("z");
    HostArray saved = host_zeros({N, C});
    reference::scale_linear_output<double>(
        z.values.data(), optional_values(in, "bias", bias), in.at("scale").values.data(),
        optional_values(in, "shift", shift), kept ? saved.values.data() : nullptr, N, C);
    HostArrays out{{"z", z}};
    if (kept) out.emplace("kept", saved);
    return out;
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor z = in.at("z").clone();
    const Tensor saved = kept ? Tensor::empty({N, C}, DType::f32, z.device()) : Tensor();
    scale_linear_output(z, optional_tensor(in, "bias", bias), in.at("scale"),
                        optional_tensor(in, "shift", shift), saved);
    Tensors out{{"z", z}};
    if (kept) out.emplace("kept", saved);
    return out;
  };
  // Three f32 sums and a product of O(1) values.
  spec.forward_tolerance = {1e-6, 1e-6};
  return spec;
}

}  // namespace

std::vector<OpSpec> column_scale_specs() {
  return {scale_columns_spec(4, 7, false, false, false),
          scale_columns_spec(3, 5, false, true, true),   // DoRA's and (IA)³'s (scale - 1) x path
          scale_columns_spec(5, 6, true, false, false),  // SSF's scaled and shifted input
          scale_columns_spec(300, 129, true, true, true),
          add_column_products_spec(5, 7, false),
          add_column_products_spec(700, 130, true),  // DoRA's magnitude: divided by the norms
          scale_linear_output_spec(4, 7, false, false, false),
          scale_linear_output_spec(5, 6, true, false, true),  // (IA)³'s output scale
          scale_linear_output_spec(300, 129, true, true, true)};
}

}  // namespace retune::ops
