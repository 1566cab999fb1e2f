#include "ops/clip_grad_norm.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <vector>

#include "core/profile.h"
#include "ops/arg_checks.h"
#include "ops/cpu/clip_grad_norm.h"

#if RETUNE_CUDA
#include "ops/cuda/clip_grad_norm.h"
#endif

namespace retune::ops {

namespace {

// The sum of squares of every defined gradient on the CPU.
double sum_of_squares(std::span<const Tensor> grads) {
  double sum = 0;
  for (const Tensor& g : grads) {
    if (g.defined()) sum += cpu::sum_of_squares(g.data<float>(), g.numel());
  }
  return sum;
}

// Every defined gradient on the CPU times factor.
void scale_in_place(std::span<const Tensor> grads, float factor) {
  for (const Tensor& g : grads) {
    if (g.defined()) cpu::scale_in_place(g.mutable_data<float>(), g.numel(), factor);
  }
}

}  // namespace

double clip_grad_norm(std::span<const Tensor> grads, double max_norm) {
  const profile::Stage stage([&] { return fmt::format("clip_grad_norm x{}", grads.size()); });
  std::optional<Device> device;  // the first defined gradient's: every other must share it
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    RETUNE_CHECK(g.dtype() == DType::f32 && g.is_contiguous() && g.writable(),
                 "clip_grad_norm: grads[{}] is {}, expected a contiguous writable f32 tensor", i,
                 g.describe());
    check_backend("clip_grad_norm", g.device());
    if (!device) device = g.device();
    RETUNE_CHECK(g.device() == *device, "clip_grad_norm: grads[{}] is on {}, the others on {}", i,
                 device_name(g.device()), device_name(*device));
  }
  if (!device) return 0;
  // clip = max_norm / (total + 1e-6) when below 1 (torch's clip_grad_norm_).
  const auto clip = [&](double total) {
    const double coef = max_norm / (total + 1e-6);
    return std::isfinite(total) && max_norm > 0 && coef < 1 ? std::optional(coef) : std::nullopt;
  };
#if RETUNE_CUDA
  if (!device->is_cpu()) {
    std::vector<cuda::FloatArray> arrays;  // every gradient at once
    for (const Tensor& g : grads) {
      if (g.defined()) arrays.push_back({g.mutable_device_data<float>(), g.numel()});
    }
    const double total = std::sqrt(cuda::sum_of_squares(arrays));
    if (const auto coef = clip(total)) cuda::scale_in_place(arrays, static_cast<float>(*coef));
    return total;
  }
#endif
  const double total = std::sqrt(sum_of_squares(grads));
  if (const auto coef = clip(total)) scale_in_place(grads, static_cast<float>(*coef));
  return total;
}

}  // namespace retune::ops
