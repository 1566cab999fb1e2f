#include "ops/softmax.h"

#include "ops/arg_checks.h"
#include "ops/cpu/softmax.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/softmax.h"
#endif

namespace retune::ops {

void softmax_forward(const Tensor& x, const Tensor& y) {
  const char* op = "softmax_forward";
  const profile::Stage stage = op_stage(op, x);
  check_matrix(op, "x", x, "[N, C]");
  check_output(op, "y", y, DType::f32, x.shape(), x.device());
  check_backend(op, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::softmax_forward(x.device_data<float>(), x.size(0), x.size(1),
                          y.mutable_device_data<float>());
    return;
  }
#endif
  cpu::softmax_forward(x.data<float>(), x.size(0), x.size(1), y.mutable_data<float>());
}

void softmax_backward(const Tensor& y, const Tensor& dy, const Tensor& dx) {
  const char* op = "softmax_backward";
  const profile::Stage stage = op_stage(op, y);
  check_matrix(op, "y", y, "[N, C]");
  check_tensor(op, "dy", dy, DType::f32, y.shape(), y.device());
  check_output(op, "dx", dx, DType::f32, y.shape(), y.device());
  check_backend(op, y.device());
#if RETUNE_CUDA
  if (!y.device().is_cpu()) {
    cuda::softmax_backward(y.device_data<float>(), dy.device_data<float>(), y.size(0), y.size(1),
                           dx.mutable_device_data<float>());
    return;
  }
#endif
  cpu::softmax_backward(y.data<float>(), dy.data<float>(), y.size(0), y.size(1),
                        dx.mutable_data<float>());
}

}  // namespace retune::ops
