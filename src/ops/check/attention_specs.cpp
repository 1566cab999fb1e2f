#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ops/attention.h"
#include "ops/check/specs.h"
#include "ops/reference/attention.h"

namespace retune::ops {

namespace {

struct AttentionCase {
  int64_t B, T, Hq, Hkv, D;
  std::vector<double> doc_ids;  // [B, T], or empty: one document per row
  bool finite_differences = true;
};

// doc_ids [B, T]: each row packed with documents of the cycled lengths; row b starts at
// lengths[b % n] so the rows differ.
std::vector<double> packed_documents(int64_t B, int64_t T, const std::vector<int64_t>& lengths) {
  std::vector<double> ids;
  for (int64_t b = 0; b < B; ++b) {
    auto doc = static_cast<size_t>(b);
    int64_t left = lengths[doc % lengths.size()];
    for (int64_t t = 0; t < T; ++t, --left) {
      if (left == 0) left = lengths[++doc % lengths.size()];
      ids.push_back(static_cast<double>(doc));
    }
  }
  return ids;
}

// The GPU's tolerance for head dims on its tensor cores, whose products round q, k, v, dout and
// the probabilities (and dS) to bf16: as a matrix product's (matmul_specs.cpp) with the longer
// of a key row (up to `keys` terms) and a head row (D terms). Sums of bf16-rounded products
// measured against the f64 reference (an emulation of the kernels' rounding on these shapes)
// used at most a fifth of it.
Tolerance tensor_core_tolerance(int64_t keys, int64_t D) {
  const auto terms = static_cast<double>(std::max(keys, D));
  return {4 * std::sqrt(terms) * 4e-3 * 0.25 + 1e-3, 1e-2};
}

OpSpec attention_spec(const AttentionCase& c) {
  const Shape q_shape{c.B, c.T, c.Hq, c.D};
  const Shape kv_shape{c.B, c.T, c.Hkv, c.D};
  const Shape lse_shape{c.B, c.Hq, c.T};
  const reference::AttentionSizes sizes{c.B, c.T, c.Hq, c.Hkv, c.D};
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
  const bool docs = !c.doc_ids.empty();

  OpSpec spec;
  spec.op = "attention";
  spec.variant = fmt::format("B={} T={} Hq={} Hkv={} D={}{}", c.B, c.T, c.Hq, c.Hkv, c.D,
                             docs ? " documents" : "");
  spec.inputs = {{"q", q_shape}, {"k", kv_shape}, {"v", kv_shape}};
  if (docs) {
    spec.inputs.push_back({"doc_ids", {c.B, c.T}, ArgKind::integer, 0, 0, false, c.doc_ids});
  }
  spec.loss_outputs = {"out"};
  // The reference's doc_ids: null without documents.
  auto doc_ids_of = [=](const HostArrays& in) {
    return docs ? std::vector<int32_t>(in.at("doc_ids").values.begin(),
                                       in.at("doc_ids").values.end())
                : std::vector<int32_t>();
  };
  spec.reference_forward = [=](const HostArrays& in) {
    const std::vector<int32_t> doc_ids = doc_ids_of(in);
    HostArray out = host_zeros(q_shape);
    HostArray lse = host_zeros(lse_shape);
    reference::attention_forward<double>(in.at("q").values.data(), in.at("k").values.data(),
                                         in.at("v").values.data(), docs ? doc_ids.data() : nullptr,
                                         scale, out.values.data(), lse.values.data(), sizes);
    return HostArrays{{"out", out}, {"lse", lse}};
  };
  spec.reference_backward = [=](const HostArrays& in, const HostArrays&, const HostArrays& d) {
    const std::vector<int32_t> doc_ids = doc_ids_of(in);
    HostArray dq = host_zeros(q_shape);
    HostArray dk = host_zeros(kv_shape);
    HostArray dv = host_zeros(kv_shape);
    reference::attention_backward<double>(d.at("out").values.data(), in.at("q").values.data(),
                                          in.at("k").values.data(), in.at("v").values.data(),
                                          docs ? doc_ids.data() : nullptr, scale, dq.values.data(),
                                          dk.values.data(), dv.values.data(), sizes);
    return HostArrays{{"dq", dq}, {"dk", dk}, {"dv", dv}};
  };
  auto doc_ids_tensor = [=](const Tensors& in) { return docs ? in.at("doc_ids") : Tensor(); };
  spec.forward = [=](const Tensors& in) {
    const Tensor& q = in.at("q");
    Tensor out = Tensor::empty(q_shape, DType::f32, q.device());
    Tensor lse = Tensor::empty(lse_shape, DType::f32, q.device());
    attention_forward(q, in.at("k"), in.at("v"), doc_ids_tensor(in), scale, out, lse);
    return Tensors{{"out", out}, {"lse", lse}};
  };
  spec.backward = [=](const Tensors& in, const Tensors& out, const Tensors& d) {
    const Tensor& q = in.at("q");
    const AttentionGrads grads{Tensor::empty(q_shape, DType::f32, q.device()),
                               Tensor::empty(kv_shape, DType::f32, q.device()),
                               Tensor::empty(kv_shape, DType::f32, q.device())};
    attention_backward(d.at("out"), q, in.at("k"), in.at("v"), out.at("out"), out.at("lse"),
                       doc_ids_tensor(in), scale, grads);
    return Tensors{{"dq", grads.dq}, {"dk", grads.dk}, {"dv", grads.dv}};
  };
  // f32 dot products of D terms, exp and log within an ulp, sums of up to T probabilities:
  // out and lse (|lse| <= log T + 1) round to a few 1e-7 at T = 150.
  spec.forward_tolerance = {1e-6, 1e-6};
  // dk and dv sum Hq / Hkv * T terms of either sign in f32 (210 in the large case, where dv
  // is 6.5e-7 off): twice the forward's allowance.
  spec.backward_tolerance = {2e-6, 2e-6};
  spec.bf16_forward_tolerance = tensor_core_tolerance(c.T, c.D);
  spec.bf16_backward_tolerance = spec.bf16_forward_tolerance;
  // Smooth in q, k, v: with step h = 1e-6 central differences err by about h^2 times the
  // third derivative plus 1e-16 |L| / h, a few 1e-9.
  spec.finite_difference_tolerance = {1e-7, 1e-7};
  spec.check_finite_differences = c.finite_differences;
  return spec;
}

// attention_cached_forward: T new tokens after `past` cached ones in a cache of S rows.
OpSpec cached_attention_spec(int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D, int64_t past,
                             int64_t S) {
  const Shape q_shape{B, T, Hq, D};
  const reference::AttentionSizes sizes{B, T, Hq, Hkv, D};
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  OpSpec spec;
  spec.op = "attention_cached";
  spec.variant = fmt::format("B={} T={} Hq={} Hkv={} D={} past={} S={}", B, T, Hq, Hkv, D, past, S);
  // The cache rows after past + T are random too: a kernel that read them would be off.
  spec.inputs = {{"q", q_shape, ArgKind::real, -1, 1, false},
                 {"k_cache", {B, S, Hkv, D}, ArgKind::real, -1, 1, false},
                 {"v_cache", {B, S, Hkv, D}, ArgKind::real, -1, 1, false}};
  spec.loss_outputs = {"out"};
  spec.reference_forward = [=](const HostArrays& in) {
    HostArray out = host_zeros(q_shape);
    reference::attention_cached_forward<double>(
        in.at("q").values.data(), in.at("k_cache").values.data(), in.at("v_cache").values.data(),
        scale, past, S, out.values.data(), sizes);
    return HostArrays{{"out", out}};
  };
  spec.forward = [=](const Tensors& in) {
    Tensor out = Tensor::empty(q_shape, DType::f32, in.at("q").device());
    attention_cached_forward(in.at("q"), in.at("k_cache"), in.at("v_cache"), past, scale, out);
    return Tensors{{"out", out}};
  };
  spec.forward_tolerance = {1e-6, 1e-6};  // as attention_forward's
  spec.bf16_forward_tolerance = tensor_core_tolerance(S, D);
  return spec;
}

}  // namespace

std::vector<OpSpec> attention_specs() {
  std::vector<OpSpec> specs;
  specs.push_back(attention_spec({2, 5, 2, 2, 4, {}}));  // plain causal multi-head
  specs.push_back(attention_spec({1, 6, 4, 2, 3, {}}));  // grouped-query
  specs.push_back(attention_spec({2, 4, 3, 1, 4, {}}));  // multi-query
  specs.push_back(attention_spec({1, 1, 2, 1, 4, {}}));  // one token
  specs.push_back(attention_spec({2, 7, 2, 2, 5, {}}));  // odd head dim
  // Packed documents with grouped-query heads.
  specs.push_back(
      attention_spec({2, 9, 4, 2, 4, {0, 0, 0, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 7, 7, 9}}));
  // A document id that comes back after another document still masks by equality.
  specs.push_back(attention_spec({1, 7, 2, 1, 3, {3, 3, 1, 1, 3, 1, 1}}));
  // Longer than a tile (64 rows), documents crossing the tile boundaries.
  specs.push_back(attention_spec({1, 130, 2, 1, 2, packed_documents(1, 130, {50, 30})}));
  specs.push_back(attention_spec({1, 129, 2, 2, 8, {}, false}));
  // Large: many tiles and heads in parallel.
  specs.push_back(attention_spec({2, 150, 6, 2, 32, packed_documents(2, 150, {70, 3, 41}), false}));
  // The GPU kernels' shapes: head dim 64 with several 64-row tiles (the last one partial),
  // grouped-query heads and documents that leave some query tiles seeing none of a key tile;
  // plain causal head dim 64 over whole tiles (the tensor-core kernels' unmasked tiles); head
  // dims 80 (padded to 128 with zero columns), 128, and 160 (the f32 kernels, padded to 256).
  specs.push_back(
      attention_spec({2, 200, 4, 2, 64, packed_documents(2, 200, {90, 50, 75}), false}));
  specs.push_back(attention_spec({2, 256, 4, 2, 64, {}, false}));
  specs.push_back(attention_spec({1, 100, 2, 2, 80, {}, false}));
  specs.push_back(attention_spec({1, 130, 2, 1, 128, {}, false}));
  specs.push_back(attention_spec({1, 70, 3, 1, 160, packed_documents(1, 70, {40, 20}), false}));
  // A KV cache: one decoded token, a prefill into an empty cache, a chunk after a long past
  // (more than a tile of keys), each with unread rows at the end of the cache.
  specs.push_back(cached_attention_spec(2, 1, 4, 2, 8, 5, 9));
  specs.push_back(cached_attention_spec(1, 6, 3, 1, 4, 0, 8));
  specs.push_back(cached_attention_spec(2, 70, 4, 2, 16, 90, 170));
  specs.push_back(cached_attention_spec(2, 66, 4, 2, 64, 130, 240));  // the GPU's head dim 64
  return specs;
}

}  // namespace retune::ops
