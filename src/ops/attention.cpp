#include "ops/attention.h"

#include "ops/cpu/attention.h"

namespace retune::ops {

namespace {

// Checks that `t`, argument `name` of `op`, is a contiguous f32 tensor of `shape` on `device`.
void check_f32(const char* op, const char* name, const Tensor& t, const Shape& shape,
               Device device) {
  RETUNE_CHECK(t.defined(), "{}: {} is undefined", op, name);
  RETUNE_CHECK(t.dtype() == DType::f32 && t.shape() == shape && t.is_contiguous(),
               "{}: {} must be a contiguous f32{}, got {}", op, name, shape.str(), t.describe());
  RETUNE_CHECK(t.device() == device, "{}: {} is on {}, q on {}", op, name, device_name(t.device()),
               device_name(device));
}

// Checks q, k, v and doc_ids (and that the device has a backend); the kernel's view of them.
cpu::AttentionInputs check_inputs(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& doc_ids, float scale) {
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
  check_f32(op, "k", k, {B, T, Hkv, D}, device);
  check_f32(op, "v", v, {B, T, Hkv, D}, device);
  if (doc_ids.defined()) {
    RETUNE_CHECK(doc_ids.dtype() == DType::i32 && doc_ids.shape() == Shape({B, T}) &&
                     doc_ids.is_contiguous() && doc_ids.device() == device,
                 "{}: doc_ids must be undefined or a contiguous i32[{}, {}] (B, T of q) on {}, "
                 "got {}",
                 op, B, T, device_name(device), doc_ids.describe());
  }
  RETUNE_CHECK(device.is_cpu(), "{}: no backend for {}", op, device_name(device));
  return {.batch = B,
          .tokens = T,
          .q_heads = Hq,
          .kv_heads = Hkv,
          .head_dim = D,
          .q = q.data<float>(),
          .k = k.data<float>(),
          .v = v.data<float>(),
          .doc_ids = doc_ids.defined() ? doc_ids.data<int32_t>() : nullptr,
          .scale = scale};
}

// An optional gradient: checked when defined; its data or null.
float* checked_gradient(const char* name, const Tensor& t, const Tensor& like) {
  if (!t.defined()) return nullptr;
  check_f32("attention_backward", name, t, like.shape(), like.device());
  return t.mutable_data<float>();
}

}  // namespace

void attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& doc_ids,
               float scale, const Tensor& out, const Tensor& lse) {
  const cpu::AttentionInputs in = check_inputs("attention", q, k, v, doc_ids, scale);
  check_f32("attention", "out", out, q.shape(), q.device());
  check_f32("attention", "lse", lse, {in.batch, in.q_heads, in.tokens}, q.device());
  cpu::attention(in, out.mutable_data<float>(), lse.mutable_data<float>());
}

void attention_backward(const Tensor& dout, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& doc_ids, float scale,
                        const AttentionGrads& grads) {
  const char* op = "attention_backward";
  const cpu::AttentionInputs in = check_inputs(op, q, k, v, doc_ids, scale);
  check_f32(op, "dout", dout, q.shape(), q.device());
  check_f32(op, "out", out, q.shape(), q.device());
  check_f32(op, "lse", lse, {in.batch, in.q_heads, in.tokens}, q.device());
  float* dq = checked_gradient("dq", grads.dq, q);
  float* dk = checked_gradient("dk", grads.dk, k);
  float* dv = checked_gradient("dv", grads.dv, k);
  cpu::attention_backward(in, dout.data<float>(), out.data<float>(), lse.data<float>(), dq, dk, dv);
}

}  // namespace retune::ops
