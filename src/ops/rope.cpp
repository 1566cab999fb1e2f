#include "ops/rope.h"

#include <cmath>
#include <vector>

#include "ops/arg_checks.h"
#include "ops/cpu/rope.h"
#include "ops/op_stage.h"

#if RETUNE_CUDA
#include "ops/cuda/rope.h"
#endif

namespace retune::ops {

namespace {

// Checks the arguments of `op` (rope or rope_backward), whose input is called `in_name` and
// output `out_name`, and runs the kernel.
void run_rope(const char* op, const char* in_name, const char* out_name, const Tensor& in,
              const Tensor& positions, const Tensor& inv_freq, const Tensor& out, bool inverse) {
  const profile::Stage stage = op_stage(op, in);
  RETUNE_CHECK(in.defined() && out.defined() && positions.defined() && inv_freq.defined(),
               "{}: {}, positions, inv_freq and {} must all be defined", op, in_name, out_name);
  RETUNE_CHECK(in.dtype() == DType::f32 && in.rank() == 4 && in.is_contiguous(),
               "{}: {} must be a contiguous f32[B, T, H, D], got {}", op, in_name, in.describe());
  const int64_t B = in.size(0), T = in.size(1), H = in.size(2), D = in.size(3);
  RETUNE_CHECK(positions.dtype() == DType::i32 && positions.shape() == Shape({B, T}) &&
                   positions.is_contiguous(),
               "{}: positions must be a contiguous i32[{}, {}] (B, T of {}), got {}", op, B, T,
               in_name, positions.describe());
  RETUNE_CHECK(inv_freq.dtype() == DType::f32 && inv_freq.rank() == 1 && inv_freq.size(0) >= 1 &&
                   2 * inv_freq.size(0) <= D && inv_freq.is_contiguous(),
               "{}: inv_freq must be a contiguous f32[R/2] with 2 <= R <= D = {}, got {}", op, D,
               inv_freq.describe());
  RETUNE_CHECK(out.dtype() == DType::f32 && out.shape() == in.shape() && out.is_contiguous(),
               "{}: {} must be a contiguous f32{} like {}, got {}", op, out_name, in.shape().str(),
               in_name, out.describe());
  RETUNE_CHECK(in.device() == out.device() && positions.device() == out.device() &&
                   inv_freq.device() == out.device(),
               "{}: tensors on different devices", op);
  check_backend(op, out.device());
  const bool in_place =
      in.storage() == out.storage() && in.device_data<float>() == out.device_data<float>();
  RETUNE_CHECK(in_place || !out.overlaps(in), "{}: {} overlaps {} without being it", op, out_name,
               in_name);
  if (in.numel() == 0) return;
#if RETUNE_CUDA
  if (!out.device().is_cpu()) {
    cuda::rope_forward(in.device_data<float>(), positions.device_data<int32_t>(),
                       inv_freq.device_data<float>(), out.mutable_device_data<float>(), B * T, H, D,
                       2 * inv_freq.size(0), inverse);
    return;
  }
#endif
  cpu::rope_forward(in.data<float>(), positions.data<int32_t>(), inv_freq.data<float>(),
                    out.mutable_data<float>(), B * T, H, D, 2 * inv_freq.size(0), inverse);
}

}  // namespace

void rope_forward(const Tensor& x, const Tensor& positions, const Tensor& inv_freq,
                  const Tensor& out) {
  run_rope("rope_forward", "x", "out", x, positions, inv_freq, out, false);
}

void rope_backward(const Tensor& dout, const Tensor& positions, const Tensor& inv_freq,
                   const Tensor& dx) {
  run_rope("rope_backward", "dout", "dx", dout, positions, inv_freq, dx, true);
}

Tensor rope_inv_freq(double theta, int64_t rotary_dims) {
  RETUNE_CHECK(rotary_dims > 0 && rotary_dims % 2 == 0,
               "rope_inv_freq: rotary_dims must be even and positive, got {}", rotary_dims);
  RETUNE_CHECK(theta > 0, "rope_inv_freq: theta must be positive, got {}", theta);
  const auto base = static_cast<float>(theta);
  std::vector<float> values(static_cast<size_t>(rotary_dims / 2));
  for (size_t i = 0; i < values.size(); ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dims);
    values[i] = 1.0f / std::pow(base, exponent);
  }
  return Tensor::from_vector<float>({rotary_dims / 2}, DType::f32, values);
}

}  // namespace retune::ops
