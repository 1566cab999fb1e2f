#include "ops/layernorm.h"

#include "ops/arg_checks.h"
#include "ops/cpu/layernorm.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/layernorm.h"
#endif

namespace retune::ops {

void layernorm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                       const Tensor& mean, const Tensor& rstd, float eps) {
  const char* op = "layernorm_forward";
  const profile::Stage stage = op_stage(op, x);
  check_norm_input(op, x, eps);
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  check_tensor(op, "weight", weight, DType::f32, {C}, x.device());
  check_tensor(op, "bias", bias, DType::f32, {C}, x.device());
  check_output(op, "out", out, DType::f32, {N, C}, x.device());
  check_output(op, "mean", mean, DType::f32, {N}, x.device());
  check_output(op, "rstd", rstd, DType::f32, {N}, x.device());
  check_backend(op, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::layernorm_forward(x.device_data<float>(), weight.device_data<float>(),
                            bias.device_data<float>(), N, C, eps, out.mutable_device_data<float>(),
                            mean.mutable_device_data<float>(), rstd.mutable_device_data<float>());
    return;
  }
#endif
  cpu::layernorm_forward(x.data<float>(), weight.data<float>(), bias.data<float>(), N, C, eps,
                         out.mutable_data<float>(), mean.mutable_data<float>(),
                         rstd.mutable_data<float>());
}

void layernorm_backward(const Tensor& dout, const Tensor& x, const Tensor& weight,
                        const Tensor& mean, const Tensor& rstd, const Tensor& dx,
                        const Tensor& dweight, const Tensor& dbias, bool accumulate_dx) {
  const char* op = "layernorm_backward";
  const profile::Stage stage = op_stage(op, x);
  check_matrix(op, "x", x, "[N, C]");
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  check_tensor(op, "dout", dout, DType::f32, {N, C}, x.device());
  check_tensor(op, "weight", weight, DType::f32, {C}, x.device());
  check_tensor(op, "mean", mean, DType::f32, {N}, x.device());
  check_tensor(op, "rstd", rstd, DType::f32, {N}, x.device());
  if (dx.defined()) {
    check_output(op, "dx", dx, DType::f32, {N, C}, x.device());
    check_disjoint(op, "dx", dx, "dout", dout);  // dweight reads dout and x after dx is written
    check_disjoint(op, "dx", dx, "x", x);
  }
  if (dweight.defined()) check_output(op, "dweight", dweight, DType::f32, {C}, x.device());
  if (dbias.defined()) check_output(op, "dbias", dbias, DType::f32, {C}, x.device());
  check_backend(op, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::layernorm_backward(
        dout.device_data<float>(), x.device_data<float>(), weight.device_data<float>(),
        mean.device_data<float>(), rstd.device_data<float>(), N, C, optional_device_data(dx),
        optional_device_data(dweight), optional_device_data(dbias), accumulate_dx);
    return;
  }
#endif
  cpu::layernorm_backward(dout.data<float>(), x.data<float>(), weight.data<float>(),
                          mean.data<float>(), rstd.data<float>(), N, C, optional_data(dx),
                          optional_data(dweight), optional_data(dbias), accumulate_dx);
}

}  // namespace retune::ops
