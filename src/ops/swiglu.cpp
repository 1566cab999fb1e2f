#include "ops/swiglu.h"

#include <utility>

#include "ops/arg_checks.h"
#include "ops/cpu/swiglu.h"
#include "ops/cpu/widened.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/swiglu.h"
#endif

namespace retune::ops {

namespace {

void check_gate_and_up(const char* op, const Tensor& gate, const Tensor& up) {
  RETUNE_CHECK(gate.defined(), "{}: gate is undefined", op);
  check_tensor(op, "gate", gate, f32_or_bf16(gate), gate.shape(), gate.device());
  check_tensor(op, "up", up, gate.dtype(), gate.shape(), gate.device());
}

}  // namespace

void swiglu_forward(const Tensor& gate, const Tensor& up, const Tensor& out) {
  const char* op = "swiglu_forward";
  const profile::Stage stage = op_stage(op, gate);
  check_gate_and_up(op, gate, up);
  check_output(op, "out", out, f32_or_bf16(out), gate.shape(), gate.device());
  check_in_place_or_disjoint(op, "out", out, "gate", gate);
  check_in_place_or_disjoint(op, "out", out, "up", up);
  check_backend(op, gate.device());
#if RETUNE_CUDA
  if (!gate.device().is_cpu()) {
    cuda::swiglu_forward(activation_data(gate), activation_data(up), gate.dtype(), gate.numel(),
                         mutable_activation_data(out), out.dtype());
    return;
  }
#endif
  const Tensor wide_out = cpu::f32_output(out);
  cpu::swiglu_forward(cpu::widened(gate).data<float>(), cpu::widened(up).data<float>(),
                      gate.numel(), wide_out.mutable_data<float>());
  cpu::store_rounded(out, wide_out);
}

void swiglu_backward(const Tensor& gate, const Tensor& up, const Tensor& dout, const Tensor& dgate,
                     const Tensor& dup) {
  const char* op = "swiglu_backward";
  const profile::Stage stage = op_stage(op, gate);
  check_gate_and_up(op, gate, up);
  check_tensor(op, "dout", dout, f32_or_bf16(dout), gate.shape(), gate.device());
  const DType grad_dtype = f32_or_bf16(dgate.defined() ? dgate : dup);
  if (dgate.defined()) check_output(op, "dgate", dgate, grad_dtype, gate.shape(), gate.device());
  if (dup.defined()) check_output(op, "dup", dup, grad_dtype, gate.shape(), gate.device());
  // Not in place: the CPU's dup reads gate and dout after dgate is written.
  for (const auto& [name, grad] : {std::pair{"dgate", dgate}, std::pair{"dup", dup}}) {
    if (!grad.defined()) continue;
    check_disjoint(op, name, grad, "gate", gate);
    check_disjoint(op, name, grad, "up", up);
    check_disjoint(op, name, grad, "dout", dout);
  }
  if (dgate.defined() && dup.defined()) check_disjoint(op, "dup", dup, "dgate", dgate);
  check_backend(op, gate.device());
#if RETUNE_CUDA
  if (!gate.device().is_cpu()) {
    cuda::swiglu_backward(activation_data(gate), activation_data(up), gate.dtype(),
                          activation_data(dout), dout.dtype(), gate.numel(),
                          mutable_activation_data(dgate), mutable_activation_data(dup), grad_dtype);
    return;
  }
#endif
  const Tensor wide_dgate = cpu::f32_output(dgate), wide_dup = cpu::f32_output(dup);
  cpu::swiglu_backward(cpu::widened(gate).data<float>(), cpu::widened(up).data<float>(),
                       cpu::widened(dout).data<float>(), gate.numel(), optional_data(wide_dgate),
                       optional_data(wide_dup));
  cpu::store_rounded(dgate, wide_dgate);
  cpu::store_rounded(dup, wide_dup);
}

}  // namespace retune::ops
