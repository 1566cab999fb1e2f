#include "ops/rmsnorm.h"

#include "ops/arg_checks.h"
#include "ops/cpu/rmsnorm.h"
#include "ops/cpu/widened.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/rmsnorm.h"
#endif

namespace retune::ops {

void rmsnorm_forward(const Tensor& x, const Tensor& weight, const Tensor& out, const Tensor& rstd,
                     float eps) {
  const char* op = "rmsnorm_forward";
  const profile::Stage stage = op_stage(op, x);
  check_norm_input(op, x, eps);
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  check_tensor(op, "weight", weight, DType::f32, {C}, x.device());
  check_output(op, "out", out, f32_or_bf16(out), {N, C}, x.device());
  check_in_place_or_disjoint(op, "out", out, "x", x);
  check_output(op, "rstd", rstd, DType::f32, {N}, x.device());
  check_disjoint(op, "rstd", rstd, "x", x);
  check_backend(op, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::rmsnorm_forward(x.device_data<float>(), weight.device_data<float>(), N, C, eps,
                          mutable_activation_data(out), out.dtype(),
                          rstd.mutable_device_data<float>());
    return;
  }
#endif
  const Tensor wide_out = cpu::f32_output(out);
  cpu::rmsnorm_forward(x.data<float>(), weight.data<float>(), N, C, eps,
                       wide_out.mutable_data<float>(), rstd.mutable_data<float>());
  cpu::store_rounded(out, wide_out);
}

void rmsnorm_backward(const Tensor& dout, const Tensor& x, const Tensor& weight, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dweight, bool accumulate_dx) {
  const char* op = "rmsnorm_backward";
  const profile::Stage stage = op_stage(op, x);
  check_matrix(op, "x", x, "[N, C]");
  const int64_t N = x.size(0);
  const int64_t C = x.size(1);
  check_tensor(op, "dout", dout, DType::f32, {N, C}, x.device());
  check_tensor(op, "weight", weight, DType::f32, {C}, x.device());
  check_tensor(op, "rstd", rstd, DType::f32, {N}, x.device());
  if (dx.defined()) {
    check_output(op, "dx", dx, DType::f32, {N, C}, x.device());
    check_disjoint(op, "dx", dx, "dout", dout);  // dweight reads dout and x after dx is written
    check_disjoint(op, "dx", dx, "x", x);
  }
  if (dweight.defined()) check_output(op, "dweight", dweight, DType::f32, {C}, x.device());
  check_backend(op, x.device());
#if RETUNE_CUDA
  if (!x.device().is_cpu()) {
    cuda::rmsnorm_backward(dout.device_data<float>(), x.device_data<float>(),
                           weight.device_data<float>(), rstd.device_data<float>(), N, C,
                           optional_device_data(dx), optional_device_data(dweight), accumulate_dx);
    return;
  }
#endif
  cpu::rmsnorm_backward(dout.data<float>(), x.data<float>(), weight.data<float>(),
                        rstd.data<float>(), N, C, optional_data(dx), optional_data(dweight),
                        accumulate_dx);
}

}  // namespace retune::ops
