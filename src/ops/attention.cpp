#include "ops/attention.h"

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/attention.h"
#include "ops/op_stage.h"
#if RETUNE_CUDA
#include "ops/cuda/attention.h"
#endif

namespace retune::ops {

namespace {

// Checks q, k, v and doc_ids (and that the device has a backend); the kernel's view of them
// (device pointers: host pointers for the CPU). k and v have the rows of q, or for a cache
// (past >= 0) rows of which past + T are read.
cpu::AttentionInputs check_inputs(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& doc_ids, float scale, int64_t past = -1) {
  RETUNE_CHECK(q.defined(), "{}: q is undefined", op);
  RETUNE_CHECK(q.dtype() == DType::f32 && q.rank() == 4 && q.is_contiguous() && q.size(3) > 0,
               "{}: q must be a contiguous f32[B, T, Hq, D] with D > 0, got {}", op, q.describe());
  const int64_t B = q.size(0), T = q.size(1), Hq = q.size(2), D = q.size(3);
  const Device device = q.device();
  RETUNE_CHECK(k.defined(), "{}: k is undefined", op);
  RETUNE_CHECK(k.rank() == 4, "{}: k must be f32[B, T, Hkv, D], got {}", op, k.describe());
  const int64_t Hkv = k.size(2);
  RETUNE_CHECK(Hkv > 0 && Hq % Hkv == 0,
               "{}: the {} query heads of q must be a multiple of the {} kv heads of k", op, Hq,
               Hkv);
  // The rows of k and v: T, or a cache's capacity with room for past + T.
  const bool cached = past >= 0;
  const int64_t S = cached ? k.size(1) : T;
  RETUNE_CHECK(!cached || past + T <= S,
               "{}: {} cached and {} new tokens do not fit a cache of {} rows", op, past, T, S);
  check_tensor(op, "k", k, DType::f32, {B, S, Hkv, D}, device);
  check_tensor(op, "v", v, DType::f32, {B, S, Hkv, D}, device);
  if (doc_ids.defined()) check_tensor(op, "doc_ids", doc_ids, DType::i32, {B, T}, device);
  check_backend(op, device);
#if RETUNE_CUDA
  RETUNE_CHECK(device.is_cpu() || D <= cuda::kAttentionMaxHeadDim,
               "{}: the CUDA kernels take head dims up to {}, got {}", op,
               cuda::kAttentionMaxHeadDim, D);
#endif
  return {.batch = B,
          .tokens = T,
          .q_heads = Hq,
          .kv_heads = Hkv,
          .head_dim = D,
          .q = q.device_data<float>(),
          .k = k.device_data<float>(),
          .v = v.device_data<float>(),
          .doc_ids = doc_ids.defined() ? doc_ids.device_data<int32_t>() : nullptr,
          .scale = scale,
          .kv_tokens = S,
          .past = cached ? past : 0};
}

// An output of `op` (out, lse, or a defined gradient): checked, and sharing no memory with
// the tensors the op reads; its device data, or null when it is undefined.
float* checked_output(const char* op, const char* name, const Tensor& t, const Shape& shape,
                      std::initializer_list<std::pair<const char*, const Tensor*>> reads) {
  if (!t.defined()) return nullptr;
  check_output(op, name, t, DType::f32, shape, (*reads.begin()).second->device());
  for (const auto& [read_name, read] : reads) check_disjoint(op, name, t, read_name, *read);
  return t.mutable_device_data<float>();
}

}  // namespace

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& doc_ids,
                       float scale, const Tensor& out, const Tensor& lse) {
  const profile::OpScope timed(profile::Op::attention);
  const char* op = "attention_forward";
  const profile::Stage stage = op_stage(op, q);
  const cpu::AttentionInputs in = check_inputs(op, q, k, v, doc_ids, scale);
  check_output(op, "out", out, DType::f32, q.shape(), q.device());  // required, unlike gradients
  check_output(op, "lse", lse, DType::f32, {in.batch, in.q_heads, in.tokens}, q.device());
  const auto reads = {std::pair{"q", &q}, std::pair{"k", &k}, std::pair{"v", &v}};
  float* out_data = checked_output(op, "out", out, q.shape(), reads);
  float* lse_data = checked_output(op, "lse", lse, {in.batch, in.q_heads, in.tokens}, reads);
  check_disjoint(op, "lse", lse, "out", out);
#if RETUNE_CUDA
  if (!q.device().is_cpu()) {
    cuda::attention_forward(in, out_data, lse_data);
    return;
  }
#endif
  cpu::attention_forward(in, out_data, lse_data);
}

void attention_cached_forward(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                              int64_t past, float scale, const Tensor& out) {
  const char* op = "attention_cached_forward";
  const profile::Stage stage = op_stage(op, q);
  RETUNE_CHECK(past >= 0, "{}: past must be >= 0, got {}", op, past);
  const cpu::AttentionInputs in = check_inputs(op, q, k_cache, v_cache, Tensor(), scale, past);
  check_output(op, "out", out, DType::f32, q.shape(), q.device());  // required
  const auto reads = {std::pair{"q", &q}, std::pair{"k_cache", &k_cache},
                      std::pair{"v_cache", &v_cache}};
  float* out_data = checked_output(op, "out", out, q.shape(), reads);
#if RETUNE_CUDA
  if (!q.device().is_cpu()) {
    cuda::attention_forward(in, out_data, nullptr);
    return;
  }
#endif
  cpu::attention_forward(in, out_data, nullptr);
}

void attention_backward(const Tensor& dout, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& doc_ids, float scale,
                        const AttentionGrads& grads) {
  const profile::OpScope timed(profile::Op::attention);
  const char* op = "attention_backward";
  const profile::Stage stage = op_stage(op, q);
  const cpu::AttentionInputs in = check_inputs(op, q, k, v, doc_ids, scale);
  check_tensor(op, "dout", dout, DType::f32, q.shape(), q.device());
  check_tensor(op, "out", out, DType::f32, q.shape(), q.device());
  check_tensor(op, "lse", lse, DType::f32, {in.batch, in.q_heads, in.tokens}, q.device());
  const auto reads = {std::pair{"q", &q},       std::pair{"k", &k},     std::pair{"v", &v},
                      std::pair{"dout", &dout}, std::pair{"out", &out}, std::pair{"lse", &lse}};
  float* dq = checked_output(op, "dq", grads.dq, q.shape(), reads);
  float* dk = checked_output(op, "dk", grads.dk, k.shape(), reads);
  float* dv = checked_output(op, "dv", grads.dv, k.shape(), reads);
  check_disjoint(op, "dq", grads.dq, "dk", grads.dk);
  check_disjoint(op, "dq", grads.dq, "dv", grads.dv);
  check_disjoint(op, "dk", grads.dk, "dv", grads.dv);
#if RETUNE_CUDA
  if (!q.device().is_cpu()) {
    cuda::attention_backward(in, dout.device_data<float>(), out.device_data<float>(),
                             lse.device_data<float>(), dq, dk, dv);
    return;
  }
#endif
  cpu::attention_backward(in, dout.data<float>(), out.data<float>(), lse.data<float>(), dq, dk, dv);
}

}  // namespace retune::ops
