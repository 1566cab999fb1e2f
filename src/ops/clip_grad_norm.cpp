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

// The sum of squares of every defined gradient, all on `device`.
double sum_of_squares(std::span<const Tensor> grads, [[maybe_unused]] Device device) {
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    std::vector<const float*> arrays;
    std::vector<int64_t> sizes;
    for (const Tensor& g : grads) {
      if (!g.defined()) continue;
      arrays.push_back(g.device_data<float>());
      sizes.push_back(g.numel());
    }
    return cuda::sum_of_squares(arrays, sizes);
  }
#endif
  double sum = 0;
  for (const Tensor& g : grads) {
    if (g.defined()) sum += cpu::sum_of_squares(g.data<float>(), g.numel());
  }
  return sum;
}

// Every defined gradient times factor, all on `device`.
void scale_in_place(std::span<const Tensor> grads, float factor, [[maybe_unused]] Device device) {
#if RETUNE_CUDA
  if (!device.is_cpu()) {
    std::vector<float*> arrays;
    std::vector<int64_t> sizes;
    for (const Tensor& g : grads) {
      if (!g.defined()) continue;
      arrays.push_back(g.mutable_device_data<float>());
      sizes.push_back(g.numel());
    }
    cuda::scale_in_place(arrays, sizes, factor);
    return;
  }
#endif
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
  const double total = std::sqrt(sum_of_squares(grads, *device));
  if (!std::isfinite(total)) return total;
  const double coef = max_norm / (total + 1e-6);
  if (max_norm > 0 && coef < 1) scale_in_place(grads, static_cast<float>(coef), *device);
  return total;
}

}  // namespace retune::ops
