#include "ops/swiglu.h"

#include "ops/arg_checks.h"
#include "ops/cpu/swiglu.h"

#if RETUNE_CUDA
#include "ops/cuda/swiglu.h"
#endif

namespace retune::ops {

namespace {

void check_gate_and_up(const char* op, const Tensor& gate, const Tensor& up) {
  RETUNE_CHECK(gate.defined(), "{}: gate is undefined", op);
  check_tensor(op, "gate", gate, DType::f32, gate.shape(), gate.device());
  check_tensor(op, "up", up, DType::f32, gate.shape(), gate.device());
}

}  // namespace

void swiglu_forward(const Tensor& gate, const Tensor& up, const Tensor& out) {
  const char* op = "swiglu_forward";
  check_gate_and_up(op, gate, up);
  check_output(op, "out", out, DType::f32, gate.shape(), gate.device());
  check_backend(op, gate.device());
#if RETUNE_CUDA
  if (!gate.device().is_cpu()) {
    cuda::swiglu_forward(gate.device_data<float>(), up.device_data<float>(), gate.numel(),
                         out.mutable_device_data<float>());
    return;
  }
#endif
  cpu::swiglu_forward(gate.data<float>(), up.data<float>(), gate.numel(),
                      out.mutable_data<float>());
}

void swiglu_backward(const Tensor& gate, const Tensor& up, const Tensor& dout, const Tensor& dgate,
                     const Tensor& dup) {
  const char* op = "swiglu_backward";
  check_gate_and_up(op, gate, up);
  check_tensor(op, "dout", dout, DType::f32, gate.shape(), gate.device());
  if (dgate.defined()) check_output(op, "dgate", dgate, DType::f32, gate.shape(), gate.device());
  if (dup.defined()) check_output(op, "dup", dup, DType::f32, gate.shape(), gate.device());
  check_backend(op, gate.device());
#if RETUNE_CUDA
  if (!gate.device().is_cpu()) {
    cuda::swiglu_backward(gate.device_data<float>(), up.device_data<float>(),
                          dout.device_data<float>(), gate.numel(), optional_device_data(dgate),
                          optional_device_data(dup));
    return;
  }
#endif
  cpu::swiglu_backward(gate.data<float>(), up.data<float>(), dout.data<float>(), gate.numel(),
                       optional_data(dgate), optional_data(dup));
}

}  // namespace retune::ops
