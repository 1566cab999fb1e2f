#include "ops/activations.h"

#include "ops/arg_checks.h"
#include "ops/cpu/activations.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/activations.h"
#endif

namespace retune::ops {

namespace {

// x is a defined f32 tensor and every other argument has its shape; returns the flat size.
int64_t check_elementwise(const char* op, const Tensor& x, const Tensor& out, const char* out_arg,
                          const Tensor* dout = nullptr) {
  RETUNE_CHECK(x.defined(), "{}: x is undefined", op);
  check_tensor(op, "x", x, DType::f32, x.shape(), x.device());
  if (dout) check_tensor(op, "dout", *dout, DType::f32, x.shape(), x.device());
  check_output(op, out_arg, out, DType::f32, x.shape(), x.device());
  check_backend(op, x.device());
  return x.numel();
}

}  // namespace

void silu_forward(const Tensor& x, const Tensor& out) {
  const profile::Stage stage = op_stage("silu_forward", x);
  const int64_t n = check_elementwise("silu_forward", x, out, "out");
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::silu_forward(x.device_data<float>(), n, out.mutable_device_data<float>());
    return;
  }
#endif
  cpu::silu_forward(x.data<float>(), n, out.mutable_data<float>());
}

void silu_backward(const Tensor& x, const Tensor& dout, const Tensor& dx) {
  const profile::Stage stage = op_stage("silu_backward", x);
  const int64_t n = check_elementwise("silu_backward", x, dx, "dx", &dout);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::silu_backward(x.device_data<float>(), dout.device_data<float>(), n,
                        dx.mutable_device_data<float>());
    return;
  }
#endif
  cpu::silu_backward(x.data<float>(), dout.data<float>(), n, dx.mutable_data<float>());
}

void gelu_forward(const Tensor& x, const Tensor& out, GeluApproximation approximation) {
  const profile::Stage stage = op_stage("gelu_forward", x);
  const int64_t n = check_elementwise("gelu_forward", x, out, "out");
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::gelu_forward(x.device_data<float>(), n, approximation, out.mutable_device_data<float>());
    return;
  }
#endif
  cpu::gelu_forward(x.data<float>(), n, approximation, out.mutable_data<float>());
}

void gelu_backward(const Tensor& x, const Tensor& dout, const Tensor& dx,
                   GeluApproximation approximation) {
  const profile::Stage stage = op_stage("gelu_backward", x);
  const int64_t n = check_elementwise("gelu_backward", x, dx, "dx", &dout);
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::gelu_backward(x.device_data<float>(), dout.device_data<float>(), n, approximation,
                        dx.mutable_device_data<float>());
    return;
  }
#endif
  cpu::gelu_backward(x.data<float>(), dout.data<float>(), n, approximation,
                     dx.mutable_data<float>());
}

}  // namespace retune::ops
