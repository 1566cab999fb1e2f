#include "ops/clip_grad_norm.h"

#include <cmath>

#include "ops/cpu/clip_grad_norm.h"

namespace retune::ops {

double clip_grad_norm(std::span<const Tensor> grads, double max_norm) {
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    RETUNE_CHECK(g.dtype() == DType::f32 && g.is_contiguous() && g.writable(),
                 "clip_grad_norm: grads[{}] is {}, expected a contiguous writable f32 tensor", i,
                 g.describe());
    RETUNE_CHECK(g.device().is_cpu(), "clip_grad_norm: no backend for grads[{}] on {}", i,
                 device_name(g.device()));
  }
  double sum = 0;
  for (const Tensor& g : grads) {
    if (g.defined()) sum += cpu::sum_of_squares(g.data<float>(), g.numel());
  }
  const double total = std::sqrt(sum);
  if (!std::isfinite(total)) return total;
  const double coef = max_norm / (total + 1e-6);
  if (max_norm > 0 && coef < 1) {
    for (const Tensor& g : grads) {
      if (g.defined())
        cpu::scale_in_place(g.mutable_data<float>(), g.numel(), static_cast<float>(coef));
    }
  }
  return total;
}

}  // namespace retune::ops
