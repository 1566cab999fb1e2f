#include "ops/add.h"

#include "ops/arg_checks.h"
#include "ops/cpu/add.h"
#include "ops/cpu/widened.h"
#include "ops/op_stage.h"
#if RETUNE_CUDA
#include "ops/cuda/add.h"
#endif

namespace retune::ops {
namespace {

// Checks y (or dy) [N, O] and bias (or dbias) [O] for `op`; the forward writes y, the backward
// dbias.
void check_bias(const char* op, const Tensor& y, const char* y_name, const Tensor& bias,
                const char* bias_name, bool forward) {
  check_matrix(op, y_name, y, "[N, O]");
  if (forward) {
    check_output(op, y_name, y, DType::f32, y.shape(), y.device());
    check_tensor(op, bias_name, bias, DType::f32, {y.size(1)}, y.device());
  } else {
    check_output(op, bias_name, bias, DType::f32, {y.size(1)}, y.device());
  }
  check_disjoint(op, bias_name, bias, y_name, y);
  check_backend(op, y.device());
}

}  // namespace

void add_forward(const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* op = "add_forward";
  const profile::Stage stage = op_stage(op, a);
  RETUNE_CHECK(a.defined(), "{}: a is undefined", op);
  check_tensor(op, "a", a, f32_or_bf16(a), a.shape(), a.device());
  check_tensor(op, "b", b, f32_or_bf16(b), a.shape(), a.device());
  check_output(op, "out", out, f32_or_bf16(out), a.shape(), a.device());
  check_in_place_or_disjoint(op, "out", out, "a", a);
  check_in_place_or_disjoint(op, "out", out, "b", b);
  check_backend(op, a.device());
#if RETUNE_CUDA
  if (!a.device().is_cpu()) {
    cuda::add_forward(activation_data(a), a.dtype(), activation_data(b), b.dtype(),
                      mutable_activation_data(out), out.dtype(), a.numel());
    return;
  }
#endif
  const Tensor wide_out = cpu::f32_output(out);
  cpu::add_forward(cpu::widened(a).data<float>(), cpu::widened(b).data<float>(),
                   wide_out.mutable_data<float>(), a.numel());
  cpu::store_rounded(out, wide_out);
}

void bias_add_forward(const Tensor& y, const Tensor& bias) {
  const profile::Stage stage = op_stage("bias_add_forward", y);
  check_bias("bias_add_forward", y, "y", bias, "bias", true);
#if RETUNE_CUDA
  if (!y.device().is_cpu()) {
    cuda::bias_add_forward(y.mutable_device_data<float>(), bias.device_data<float>(), y.size(0),
                           y.size(1));
    return;
  }
#endif
  cpu::bias_add_forward(y.mutable_data<float>(), bias.data<float>(), y.size(0), y.size(1));
}

void bias_add_backward(const Tensor& dy, const Tensor& dbias) {
  const profile::Stage stage = op_stage("bias_add_backward", dy);
  check_bias("bias_add_backward", dy, "dy", dbias, "dbias", false);
#if RETUNE_CUDA
  if (!dy.device().is_cpu()) {
    cuda::bias_add_backward(dy.device_data<float>(), dbias.mutable_device_data<float>(), dy.size(0),
                            dy.size(1));
    return;
  }
#endif
  cpu::bias_add_backward(dy.data<float>(), dbias.mutable_data<float>(), dy.size(0), dy.size(1));
}

}  // namespace retune::ops
