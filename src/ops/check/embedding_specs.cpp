#include <fmt/format.h>

#include "ops/check/specs.h"
#include "ops/embedding.h"
#include "ops/reference/embedding.h"

namespace retune::ops {

namespace {

// The value a table entry holds once stored in a 16-bit `dtype` (what the op reads).
double stored_value(double value, DType dtype) {
  const auto f = static_cast<float>(value);
  if (dtype == DType::bf16) return bf16_to_f32(f32_to_bf16(f));
  if (dtype == DType::f16) return f16_to_f32(f32_to_f16(f));
  return value;
}

std::vector<int32_t> as_ids(const HostArray& ids) {
  return {ids.values.begin(), ids.values.end()};
}

OpSpec embedding_spec(int64_t N, int64_t V, int64_t C, DType table_dtype) {
  OpSpec spec;
  spec.op = "embedding";
  spec.variant = fmt::format("N={} V={} C={} table {}", N, V, C, dtype_name(table_dtype));
  spec.inputs = {{"ids", {N}, ArgKind::integer, 0, static_cast<double>(V - 1), false},
                 {"table", {V, C}}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray table = in.at("table");
    for (double& value : table.values) value = stored_value(value, table_dtype);
    HostArray out = host_zeros({N, C});
    reference::embedding_forward<double>(as_ids(in.at("ids")).data(), table.values.data(),
                                         out.values.data(), N, C);
    return HostArrays{{"out", out}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    HostArray dtable = host_zeros({V, C});
    reference::embedding_backward<double>(as_ids(in.at("ids")).data(), d.at("out").values.data(),
                                          dtable.values.data(), N, C);
    return HostArrays{{"dtable", dtable}};
  };
  spec.forward = [=](const Tensors& in) {
    const Tensor& ids = in.at("ids");
    Tensor out = Tensor::empty({N, C}, DType::f32, ids.device());
    embedding_forward(ids, in.at("table").to(table_dtype), out);
    return Tensors{{"out", out}};
  };
  spec.backward = [=](const Tensors& in, const Tensors&, const Tensors& d) {
    const Tensor& ids = in.at("ids");
    Tensor dtable = Tensor::zeros({V, C}, DType::f32, ids.device());
    embedding_backward(ids, d.at("out"), dtable);
    return Tensors{{"dtable", dtable}};
  };
  // A copy of the stored values (bf16 and f16 widen to f32 exactly): an f32 table only rounds
  // the inputs to f32 (<= 6e-8 relative); a 16-bit one is exact (the reference rounds alike).
  spec.forward_tolerance = {1e-12, 1e-7};
  // f32 sums of the few douts in [-1, 1] that share an id.
  spec.backward_tolerance = {1e-6, 1e-6};
  // The op is linear in the table: central differences are exact up to rounding.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  // A 16-bit table rounds the perturbed entries away; the f32 cases check the gradient.
  spec.check_finite_differences = table_dtype == DType::f32 && N * C < 2000;
  return spec;
}

}  // namespace

std::vector<OpSpec> embedding_specs() {
  std::vector<OpSpec> specs;
  for (DType dtype : {DType::f32, DType::bf16, DType::f16}) {
    specs.push_back(embedding_spec(13, 5, 7, dtype));  // more tokens than ids: repeats add
  }
  specs.push_back(embedding_spec(1, 1, 1, DType::f32));    // one token, one id, one channel
  specs.push_back(embedding_spec(3, 11, 1, DType::f32));   // one channel
  specs.push_back(embedding_spec(1, 9, 17, DType::bf16));  // one token
  specs.push_back(embedding_spec(2, 50, 3, DType::f32));   // most rows unused
  // Large: several column blocks, many repeats of each id.
  specs.push_back(embedding_spec(67, 31, 577, DType::f32));
  specs.push_back(embedding_spec(67, 31, 577, DType::bf16));
  return specs;
}

}  // namespace retune::ops
