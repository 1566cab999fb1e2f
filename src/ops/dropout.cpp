#include "ops/dropout.h"

#include "ops/arg_checks.h"
#include "ops/cpu/dropout.h"
#include "ops/cpu/widened.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/dropout.h"
#endif

namespace retune::ops {

namespace {

void check_dropout(const char* op, const char* in_arg, const Tensor& in, const char* out_arg,
                   const Tensor& out, float p) {
  RETUNE_CHECK(p >= 0 && p <= 1, "{}: p is {}, expected a probability in [0, 1]", op, p);
  RETUNE_CHECK(in.defined(), "{}: {} is undefined", op, in_arg);
  check_tensor(op, in_arg, in, f32_or_bf16(in), in.shape(), in.device());
  check_output(op, out_arg, out, f32_or_bf16(out), in.shape(), in.device());
  check_in_place_or_disjoint(op, out_arg, out, in_arg, in);
  check_backend(op, in.device());
}

// The map both directions share, on the tensors' device.
void run_dropout(const Tensor& in, const Tensor& out, float p, uint64_t seed, uint64_t offset) {
#if RETUNE_CUDA
  if (!in.device().is_cpu()) {
    cuda::dropout(activation_data(in), in.dtype(), in.numel(), p, seed, offset,
                  mutable_activation_data(out), out.dtype());
    return;
  }
#endif
  const Tensor wide_out = cpu::f32_output(out);
  cpu::dropout(cpu::widened(in).data<float>(), in.numel(), p, seed, offset,
               wide_out.mutable_data<float>());
  cpu::store_rounded(out, wide_out);
}

}  // namespace

void dropout_forward(const Tensor& x, const Tensor& out, float p, uint64_t seed, uint64_t offset) {
  const profile::Stage stage = op_stage("dropout_forward", x);
  check_dropout("dropout_forward", "x", x, "out", out, p);
  run_dropout(x, out, p, seed, offset);
}

void dropout_backward(const Tensor& dout, const Tensor& dx, float p, uint64_t seed,
                      uint64_t offset) {
  const profile::Stage stage = op_stage("dropout_backward", dout);
  check_dropout("dropout_backward", "dout", dout, "dx", dx, p);
  run_dropout(dout, dx, p, seed, offset);
}

}  // namespace retune::ops
