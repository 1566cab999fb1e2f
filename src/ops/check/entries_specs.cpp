#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/entries.h"
#include "ops/reference/entries.h"

namespace retune::ops {

namespace {

// The harness's integer inputs are i32: the ops take them as i64.
Tensor as_indices(const Tensor& indices) {
  return indices.to(DType::i64);
}

// Entries of a [5, 7] tensor read in any order, one twice.
OpSpec gather_spec() {
  const std::vector<double> indices = {0, 34, 7, 7, 12, 33};
  OpSpec spec;
  spec.op = "gather_entries";
  spec.variant = "[5, 7] k=6";
  spec.inputs = {{"source", {5, 7}, ArgKind::real, -1, 1, false},
                 {"indices", {6}, ArgKind::integer, 0, 0, false, indices}};
  spec.reference_forward = [](const HostArrays& in) {
    HostArray out = host_zeros({6});
    reference::gather_entries<double>(in.at("source").values.data(),
                                      host_int32s(in.at("indices")).data(), 6, out.values.data());
    return HostArrays{{"out", out}};
  };
  spec.forward = [](const Tensors& in) {
    const Tensor out = Tensor::empty({6}, DType::f32, in.at("source").device());
    gather_entries(in.at("source"), as_indices(in.at("indices")), out);
    return Tensors{{"out", out}};
  };
  // Copies of the inputs: the reference's values rounded to f32.
  spec.forward_tolerance = {0, 1e-7};
  return spec;
}

// Distinct entries of a [5, 7] tensor written in any order; the others keep their values.
OpSpec scatter_spec() {
  const std::vector<double> indices = {3, 0, 34, 20};
  OpSpec spec;
  spec.op = "scatter_entries";
  spec.variant = "[5, 7] k=4";
  spec.inputs = {{"target", {5, 7}, ArgKind::real, -1, 1, false},
                 {"indices", {4}, ArgKind::integer, 0, 0, false, indices},
                 {"values", {4}, ArgKind::real, -1, 1, false}};
  spec.reference_forward = [](const HostArrays& in) {
    HostArray target = in.at("target");
    reference::scatter_entries<double>(target.values.data(), host_int32s(in.at("indices")).data(),
                                       4, in.at("values").values.data());
    return HostArrays{{"target", target}};
  };
  spec.forward = [](const Tensors& in) {
    const Tensor target = in.at("target").clone();
    scatter_entries(target, as_indices(in.at("indices")), in.at("values"));
    return Tensors{{"target", target}};
  };
  // Copies of the inputs: the reference's values rounded to f32.
  spec.forward_tolerance = {0, 1e-7};
  return spec;
}

}  // namespace

std::vector<OpSpec> entries_specs() {
  return {gather_spec(), scatter_spec()};
}

}  // namespace retune::ops
